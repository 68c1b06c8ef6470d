package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
)

// Decision is what to do with the outcome of one attempt.
type Decision int

// Decisions returned by ClassifyStatus and ClassifyError.
const (
	// DecisionOK: the attempt succeeded.
	DecisionOK Decision = iota
	// DecisionRetry: a transient failure; another attempt may succeed.
	DecisionRetry
	// DecisionPermanent: repeating the same request gives the same failure.
	DecisionPermanent
	// DecisionStop: the caller gave up (context canceled); neither retried nor
	// a failure of the request itself.
	DecisionStop
)

// String returns "ok", "retry", "permanent" or "stop".
func (d Decision) String() string {
	switch d {
	case DecisionOK:
		return "ok"
	case DecisionRetry:
		return "retry"
	case DecisionPermanent:
		return "permanent"
	case DecisionStop:
		return "stop"
	}
	return "unknown"
}

// ClassifyStatus decides what an HTTP status code means for a request:
// 2xx succeeded; 408 (request timeout), 429 (too many requests) and every
// 5xx are transient; every other code is permanent, including 1xx and 3xx,
// which a client that does not follow redirects should never see (tagtog
// once redirected unauthenticated requests to its login page).
func ClassifyStatus(code int) Decision {
	switch {
	case code >= 200 && code <= 299:
		return DecisionOK
	case code == 408, code == 429, code >= 500 && code <= 599:
		return DecisionRetry
	}
	return DecisionPermanent
}

// ClassifyError decides what a transport error (no HTTP status) means:
// nil is OK; an error marked Permanent is permanent; context.Canceled is
// Stop; timeouts (context.DeadlineExceeded of a per-request timeout, net
// timeouts), refused or reset connections, EOF and unexpected EOF are
// transient; TLS certificate failures are permanent. Any other error is
// transient, as errors are unless marked where they arise.
//
// DeadlineExceeded is classified as a per-request timeout; Do itself stops
// when the caller's own context ends.
func ClassifyError(err error) Decision {
	var (
		netErr       net.Error
		unknownCA    x509.UnknownAuthorityError
		hostname     x509.HostnameError
		invalidCert  x509.CertificateInvalidError
		verification *tls.CertificateVerificationError
	)
	switch {
	case err == nil:
		return DecisionOK
	case IsPermanent(err):
		return DecisionPermanent
	case errors.Is(err, context.Canceled):
		return DecisionStop
	case errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout(),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF):
		return DecisionRetry
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalidCert),
		errors.As(err, &verification):
		return DecisionPermanent
	}
	return DecisionRetry
}
