package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tagflow/tagflow/pkg/event"
)

// DLQMessage is one dead letter.
type DLQMessage struct {
	Seq        uint64    // sequence in the dead-letter stream
	Time       time.Time // when it was dead-lettered (Tagflow-Time)
	Reason     string
	Error      string
	Status     int
	Deliveries int
	Consumer   string
	Subject    string // original subject
	// Envelope is the decoded event; zero when EnvelopeErr is set.
	Envelope    event.Envelope
	EnvelopeErr error
	// Data is the original message body.
	Data []byte
}

func toDLQMessage(m *jetstream.RawStreamMsg) DLQMessage {
	h := m.Header
	d := DLQMessage{
		Seq:      m.Sequence,
		Reason:   h.Get(HeaderReason),
		Error:    h.Get(HeaderError),
		Consumer: h.Get(HeaderConsumer),
		Subject:  h.Get(HeaderSubject),
		Data:     m.Data,
	}
	d.Time, _ = time.Parse(time.RFC3339, h.Get(HeaderTime))
	if d.Time.IsZero() {
		d.Time = m.Time
	}
	d.Status, _ = strconv.Atoi(h.Get(HeaderStatus))
	d.Deliveries, _ = strconv.Atoi(h.Get(HeaderDeliveries))
	d.Envelope, d.EnvelopeErr = event.Unmarshal(m.Data)
	return d
}

// ListDLQ returns every dead letter, oldest first.
// Errors wrap ErrUnavailable or ErrNotFound (no dead-letter stream).
func (c *Client) ListDLQ(ctx context.Context) ([]DLQMessage, error) {
	st, err := c.js.Stream(ctx, c.cfg.DLQStream)
	if err != nil {
		return nil, c.wrap("dlq", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, c.wrap("dlq info", err)
	}
	var out []DLQMessage
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(c.cfg.DLQPrefix+".>"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, c.wrap("dlq get "+strconv.FormatUint(seq, 10), err)
		}
		out = append(out, toDLQMessage(m))
		seq = m.Sequence + 1
	}
	return out, nil
}

// GetDLQ returns the dead letter with sequence seq.
// Errors wrap ErrNotFound when there is none, or ErrUnavailable.
func (c *Client) GetDLQ(ctx context.Context, seq uint64) (DLQMessage, error) {
	st, err := c.js.Stream(ctx, c.cfg.DLQStream)
	if err != nil {
		return DLQMessage{}, c.wrap("dlq", err)
	}
	m, err := st.GetMsg(ctx, seq)
	if err != nil {
		return DLQMessage{}, c.wrap("dlq get "+strconv.FormatUint(seq, 10), err)
	}
	return toDLQMessage(m), nil
}

// Redrive publishes the dead letter seq again on its original subject, with
// a new Nats-Msg-Id (so deduplication does not swallow it) and a
// Tagflow-Redrive header, waits for the PubAck, then deletes the dead letter.
// The event starts again with a fresh delivery count. Errors wrap ErrNotFound
// or ErrUnavailable.
func (c *Client) Redrive(ctx context.Context, seq uint64) error {
	st, err := c.js.Stream(ctx, c.cfg.DLQStream)
	if err != nil {
		return c.wrap("dlq", err)
	}
	m, err := st.GetMsg(ctx, seq)
	if err != nil {
		return c.wrap("dlq get "+strconv.FormatUint(seq, 10), err)
	}
	subject := m.Header.Get(HeaderSubject)
	if subject == "" {
		return fmt.Errorf("queue: redrive %d: dead letter has no %s header", seq, HeaderSubject)
	}
	out := nats.NewMsg(subject)
	out.Data = m.Data
	out.Header.Set(HeaderRedrive, strconv.FormatUint(seq, 10))
	out.Header.Set(jetstream.MsgIDHeader, "r:"+event.NewID())
	out.Header.Set(jetstream.ExpectedStreamHeader, c.cfg.Stream)
	pctx, cancel := context.WithTimeout(ctx, c.cfg.PublishTimeout)
	defer cancel()
	if _, err := c.js.PublishMsg(pctx, out); err != nil {
		return c.wrap("redrive "+strconv.FormatUint(seq, 10), err)
	}
	if err := st.DeleteMsg(ctx, seq); err != nil {
		return c.wrap("redrive: delete dead letter "+strconv.FormatUint(seq, 10), err)
	}
	return nil
}

// StreamStatus describes a stream.
type StreamStatus struct {
	Name              string
	Msgs, Bytes       uint64
	FirstSeq, LastSeq uint64
}

// ConsumerStatus describes a durable consumer.
type ConsumerStatus struct {
	Name        string
	Pending     uint64 // not yet delivered
	AckPending  int    // delivered, not acknowledged (includes delayed retries)
	Redelivered int    // delivered more than once and not yet acknowledged
	Waiting     int    // pull requests waiting for events
}

// Status is a snapshot of the event stream, its consumers and the
// dead-letter stream.
type Status struct {
	Stream    StreamStatus
	Consumers []ConsumerStatus
	DLQ       StreamStatus
}

// Status returns a snapshot for operators. Errors wrap ErrUnavailable or
// ErrNotFound.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	for _, x := range []struct {
		name string
		into *StreamStatus
	}{{c.cfg.Stream, &s.Stream}, {c.cfg.DLQStream, &s.DLQ}} {
		st, err := c.js.Stream(ctx, x.name)
		if err != nil {
			return Status{}, c.wrap("stream "+x.name, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			return Status{}, c.wrap("stream "+x.name, err)
		}
		*x.into = StreamStatus{Name: x.name, Msgs: info.State.Msgs, Bytes: info.State.Bytes,
			FirstSeq: info.State.FirstSeq, LastSeq: info.State.LastSeq}
		if x.name != c.cfg.Stream {
			continue
		}
		lister := st.ListConsumers(ctx)
		for ci := range lister.Info() {
			s.Consumers = append(s.Consumers, ConsumerStatus{Name: ci.Name, Pending: ci.NumPending,
				AckPending: ci.NumAckPending, Redelivered: ci.NumRedelivered, Waiting: ci.NumWaiting})
		}
		if err := lister.Err(); err != nil {
			return Status{}, c.wrap("list consumers", err)
		}
	}
	return s, nil
}
