package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tagflow/tagflow/pkg/event"
)

// Publisher publishes event envelopes to the event stream.
type Publisher struct {
	c *Client
}

// NewPublisher returns a publisher on c's event stream.
func NewPublisher(c *Client) *Publisher { return &Publisher{c: c} }

// tooLargeError wraps ErrTooLarge and answers TooLarge() for callers that
// classify errors by behaviour instead of importing this package.
type tooLargeError struct{ size, max int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%v: %d bytes, server allows %d", ErrTooLarge, e.size, e.max)
}
func (e *tooLargeError) Unwrap() error  { return ErrTooLarge }
func (e *tooLargeError) TooLarge() bool { return true }

// unavailableError wraps ErrUnavailable and answers Temporary().
type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return fmt.Sprintf("%v: %v", ErrUnavailable, e.err) }
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }
func (e *unavailableError) Temporary() bool { return true }

// Publish stores env in the event stream on env.Subject(prefix) with
// Nats-Msg-Id env.MsgID(), and returns once JetStream has acknowledged it.
// duplicate is true when JetStream already held a message with that id within
// the duplicate window (the event is stored once).
//
// Errors: event.ErrInvalid for an invalid envelope; ErrTooLarge (also
// answering TooLarge() bool) when the message exceeds the server's max
// payload; ErrUnavailable (also answering Temporary() bool) for every other
// failure, including a timeout of PublishTimeout or ctx.
func (p *Publisher) Publish(ctx context.Context, env event.Envelope) (duplicate bool, err error) {
	if err := env.Validate(); err != nil {
		return false, fmt.Errorf("queue: publish: %w", err)
	}
	data, err := env.Marshal()
	if err != nil {
		return false, fmt.Errorf("queue: publish: encode envelope: %w", err)
	}
	msg := &nats.Msg{Subject: env.Subject(p.c.cfg.SubjectPrefix), Data: data, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, env.MsgID())
	msg.Header.Set(jetstream.ExpectedStreamHeader, p.c.cfg.Stream)
	if err := p.c.checkSize(msg); err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.c.cfg.PublishTimeout)
	defer cancel()
	ack, err := p.c.js.PublishMsg(ctx, msg)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) || errors.Is(err, nats.ErrMaxPayload) {
			return false, &tooLargeError{size: int64(msgSize(msg)), max: p.c.MaxPayload()}
		}
		return false, &unavailableError{err: fmt.Errorf("publish to %s: %w", p.c.cfg.Stream, err)}
	}
	return ack.Duplicate, nil
}

// checkSize rejects a message bigger than the server's max payload before
// sending it (the client would refuse it anyway, with a less clear error).
func (c *Client) checkSize(m *nats.Msg) error {
	max := c.MaxPayload()
	if max > 0 && int64(msgSize(m)) > max {
		return &tooLargeError{size: int64(msgSize(m)), max: max}
	}
	return nil
}

// msgSize approximates the bytes NATS counts against max_payload: the data
// plus the encoded header block.
func msgSize(m *nats.Msg) int {
	n := len(m.Data)
	if len(m.Header) > 0 {
		n += len("NATS/1.0\r\n\r\n")
		for k, vs := range m.Header {
			for _, v := range vs {
				n += len(k) + len(": ") + len(v) + len("\r\n")
			}
		}
	}
	return n
}
