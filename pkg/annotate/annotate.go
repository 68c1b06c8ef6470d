// Package annotate defines the Annotator interface every entity recogniser
// implements, the Span it produces and the LabelMap that turns model labels
// into tagtog entity-type ids. Backends live in subpackages: builtin (pure Go
// rules), httpmodel (a remote model server) and dictionary (a gazetteer).
package annotate

import (
	"context"
	"errors"
)

// Span is one entity found in a text. Start and End are byte offsets into the
// UTF-8 text, End exclusive, so text[Start:End] is the entity's surface form.
// Label is the model's label (PERSON, ORG, ...), not a tagtog id. Score is the
// model's confidence in (0, 1].
type Span struct {
	Start int
	End   int
	Label string
	Score float64
}

// Annotator finds entities in texts. The result holds one slice of spans per
// input text, in input order; spans of one text are sorted by Start and do not
// overlap. Implementations honour ctx and are safe for concurrent use.
type Annotator interface {
	Annotate(ctx context.Context, texts []string) ([][]Span, error)
}

// Namer is implemented by annotators that have a model name; the name is
// recorded in tagtog as "ml:<name>".
type Namer interface {
	Name() string
}

// ErrPermanent is wrapped by errors that retrying cannot fix: a model server
// that rejects the request (4xx), an undecodable or inconsistent response,
// invalid configuration. Errors not wrapping it are transient.
var ErrPermanent = errors.New("permanent")

// ErrBadResponse is wrapped, together with ErrPermanent, when a model's answer
// cannot be decoded or does not fit the texts it was given (wrong number of
// results, offsets out of range).
var ErrBadResponse = errors.New("bad model response")

// IsPermanent reports whether err wraps ErrPermanent.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// permanentError marks an error permanent while keeping it matchable.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() []error {
	return []error{e.err, ErrPermanent}
}

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds. A nil err
// stays nil.
func Permanent(err error) error {
	if err == nil || errors.Is(err, ErrPermanent) {
		return err
	}
	return &permanentError{err: err}
}
