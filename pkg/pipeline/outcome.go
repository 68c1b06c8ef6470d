package pipeline

import (
	"context"
	"errors"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/annotate"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/tagtog"
)

// Dead-letter reasons given by the pipeline. They are short fixed words, so
// that operators can group dead letters and alerts can name them.
const (
	ReasonNotFound         = "not_found"         // tagtog does not know the document or project (404)
	ReasonNotAnndoc        = "not_anndoc"        // the plain.html is not a tagtog anndoc
	ReasonBadAnnJSON       = "bad_annjson"       // the stored ann.json cannot be decoded
	ReasonDocumentMismatch = "document_mismatch" // the push did not update the document it was meant for
	ReasonRejected         = "rejected"          // tagtog refused a request permanently (other 4xx)
	ReasonUnauthorized     = "unauthorized"      // 401/403: credentials or the API role
	ReasonModel            = "model_error"       // the model failed permanently
	ReasonPermanent        = "permanent_error"   // any other permanent failure
)

// Handle is the annotator consumer's queue.Handler: it annotates a created
// event and turns the result into the event's fate in one place.
//
//   - updated events are skipped (never re-annotated);
//   - success is an Ack, counted as annotated (or skipped when nothing changed);
//   - permanent failures go to the dead-letter stream with a reason;
//   - everything else is retried later, no sooner than a server's Retry-After.
func (p *Pipeline) Handle(ctx context.Context, d *queue.Delivery) queue.Outcome {
	env := &d.Envelope
	if env.Status != event.StatusCreated {
		return queue.Skip("updated events are not annotated")
	}
	res, err := p.Annotate(ctx, env)
	if err == nil {
		if !res.Pushed {
			p.log.Info("annotations unchanged, nothing pushed", "event_id", env.ID, "doc_id", env.DocID, "entities", res.Entities)
			return queue.AckAs(queue.OutcomeSkipped)
		}
		p.log.Debug("annotated", "event_id", env.ID, "doc_id", env.DocID, "entities", res.Entities, "deliveries", d.NumDelivered)
		return queue.Ack()
	}
	return Classify(err)
}

// Classify maps an error of Annotate to the outcome of its event.
func Classify(err error) queue.Outcome {
	status := 0
	var se *tagtog.StatusError
	if errors.As(err, &se) {
		status = se.Code
	}
	switch {
	case errors.Is(err, tagtog.ErrDocumentMismatch):
		return queue.DeadLetter(ReasonDocumentMismatch, err, status)
	case errors.Is(err, anndoc.ErrNotAnndoc):
		return queue.DeadLetter(ReasonNotAnndoc, err, status)
	case errors.Is(err, anndoc.ErrBadAnnJSON):
		return queue.DeadLetter(ReasonBadAnnJSON, err, status)
	case errors.Is(err, event.ErrInvalid):
		return queue.DeadLetter(queue.ReasonInvalidEnvelope, err, status)
	case errors.Is(err, context.Canceled):
		// Shutdown: let another process take the event at once.
		return queue.Retry(err, 0)
	}
	if retry.IsPermanent(err) || annotate.IsPermanent(err) {
		switch {
		case errors.Is(err, tagtog.ErrNotFound):
			return queue.DeadLetter(ReasonNotFound, err, status)
		case errors.Is(err, tagtog.ErrAuth):
			return queue.DeadLetter(ReasonUnauthorized, err, status)
		case annotate.IsPermanent(err):
			return queue.DeadLetter(ReasonModel, err, status)
		case status >= 400 && status < 500:
			return queue.DeadLetter(ReasonRejected, err, status)
		}
		return queue.DeadLetter(ReasonPermanent, err, status)
	}
	delay, _ := retry.RetryAfterOf(err)
	return queue.Retry(err, delay).WithStatus(status)
}

var _ queue.Handler = (*Pipeline)(nil).Handle
