package queue

import (
	"fmt"
	"time"
)

// Outcome labels of tagflow_events_processed_total.
const (
	OutcomeAnnotated    = "annotated"     // acknowledged after the work was done
	OutcomeSkipped      = "skipped"       // acknowledged without work
	OutcomeRetried      = "retried"       // Nak'd with a delay
	OutcomeDeadLettered = "dead_lettered" // stored in the dead-letter stream and terminated
	OutcomeFailed       = "failed"        // the outcome could not be applied (ack or DLQ publish failed)
)

type action int

const (
	actAck action = iota + 1
	actRetry
	actDeadLetter
)

// Outcome is what a handler decided about one delivery. Build it with Ack,
// AckAs, Skip, Retry or DeadLetter; the zero Outcome is treated as a Retry.
type Outcome struct {
	act      action
	label    string
	reason   string
	err      error
	minDelay time.Duration
	status   int
}

// Ack acknowledges the event; it is counted as "annotated".
func Ack() Outcome { return Outcome{act: actAck, label: OutcomeAnnotated} }

// AckAs acknowledges the event and counts it under label, which must be
// OutcomeAnnotated or OutcomeSkipped (anything else counts as annotated), so
// the metric's label values stay bounded.
func AckAs(label string) Outcome {
	if label != OutcomeSkipped {
		label = OutcomeAnnotated
	}
	return Outcome{act: actAck, label: label}
}

// Skip acknowledges an event that needs no work (for example an update
// made by tagflow itself); it is counted as "skipped" and reason is logged.
func Skip(reason string) Outcome {
	return Outcome{act: actAck, label: OutcomeSkipped, reason: reason}
}

// Retry Naks the event so that it is delivered again after a delay that grows
// with the delivery count (Config.RetryDelay) and is at least minDelay (a
// Retry-After hint; 0 for none). At the last delivery (MaxDeliver) a Retry
// becomes DeadLetter("max_deliver", err, 0).
func Retry(err error, minDelay time.Duration) Outcome {
	return Outcome{act: actRetry, label: OutcomeRetried, err: err, minDelay: minDelay}
}

// DeadLetter stores the event in the dead-letter stream with reason (a short
// fixed word such as "document_mismatch"), the error and the HTTP status that
// caused it (0 for none), then terminates it.
func DeadLetter(reason string, err error, httpStatus int) Outcome {
	return Outcome{act: actDeadLetter, label: OutcomeDeadLettered, reason: reason, err: err, status: httpStatus}
}

// Label returns the outcome label the event is counted under.
func (o Outcome) Label() string {
	if o.act == 0 {
		return OutcomeRetried
	}
	return o.label
}

// Err returns the error carried by a Retry or DeadLetter.
func (o Outcome) Err() error { return o.err }

// String describes the outcome for logs and test failures.
func (o Outcome) String() string {
	switch o.act {
	case actAck:
		if o.reason != "" {
			return fmt.Sprintf("%s (%s)", o.label, o.reason)
		}
		return o.label
	case actDeadLetter:
		return fmt.Sprintf("dead_letter(%s, status %d, %v)", o.reason, o.status, o.err)
	}
	return fmt.Sprintf("retry(min %v, %v)", o.minDelay, o.err)
}

// WithStatus records the HTTP status behind a Retry, so that it reaches the
// dead letter if the retry turns into one at MaxDeliver.
func (o Outcome) WithStatus(httpStatus int) Outcome {
	o.status = httpStatus
	return o
}
