package tagtog

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrNotFound: tagtog answered 404 (unknown document or project).
	ErrNotFound = errors.New("not found")
	// ErrAuth: tagtog answered 401 or 403 (bad credentials, or a user whose
	// role may not use the API).
	ErrAuth = errors.New("not authorised")
	// ErrDocumentMismatch: a push did not update the document it was meant
	// for (tagtog created a new document, updated another one, or reported
	// a failure). Permanent: repeating it could create documents in a loop.
	ErrDocumentMismatch = errors.New("document mismatch")
	// ErrTooLarge: a response exceeded Config.MaxResponseBytes. Permanent.
	ErrTooLarge = errors.New("response too large")
	// ErrBadResponse: a 2xx response could not be decoded. Permanent.
	ErrBadResponse = errors.New("undecodable response")
	// ErrInvalidArgument: a call was made with missing arguments. Permanent.
	ErrInvalidArgument = errors.New("invalid argument")
)

// StatusError is a non-2xx answer of tagtog. Its text describes the answer;
// the error wrapping it names the call. It never holds credentials: secrets
// echoed by a server are scrubbed from Body.
type StatusError struct {
	// Op is the call: legend, plain_html, ann_json, push, search or import.
	Op string
	// Code is the HTTP status code.
	Code int
	// Body is the start of the response body (at most 512 bytes).
	Body string
	// RetryAfter is the server's Retry-After header, zero when absent.
	RetryAfter time.Duration
}

// Error returns e.g. `HTTP 404 Not Found: document not found; response: "no such document"`.
func (e *StatusError) Error() string {
	var b strings.Builder
	b.WriteString("HTTP ")
	b.WriteString(strconv.Itoa(e.Code))
	if t := http.StatusText(e.Code); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if h := e.hint(); h != "" {
		b.WriteString(": ")
		b.WriteString(h)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	if body := strings.TrimSpace(e.Body); body != "" {
		b.WriteString("; response: ")
		b.WriteString(strconv.Quote(body))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and errors.Is(err, ErrAuth) match.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == http.StatusNotFound
	case ErrAuth:
		return e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden
	}
	return false
}

func (e *StatusError) hint() string {
	switch {
	case e.Code == http.StatusNotFound && (e.Op == opPlainHTML || e.Op == opAnnJSON):
		return "document not found"
	case e.Code == http.StatusNotFound && e.Op == opPush:
		return "document or project not found"
	case e.Code == http.StatusNotFound:
		return "project not found"
	case e.Code == http.StatusUnauthorized:
		return "authentication failed: check the tagtog username and password"
	case e.Code == http.StatusForbidden:
		return "forbidden: the user must be a member of the project with a role allowed to use the API " +
			"(admin, reviewer or supercurator; curator and reader cannot)"
	case e.Code == http.StatusRequestEntityTooLarge:
		return "document too large for tagtog"
	case e.Code == http.StatusTooManyRequests:
		return "rate limited"
	case e.Code >= 300 && e.Code < 400:
		return "unexpected redirect (is the base URL right, and are the credentials accepted?)"
	}
	return ""
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// It reports false for an absent, malformed or non-positive value.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0, false
		}
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0, false
	}
	return d, true
}
