package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tagflow/tagflow/pkg/event"
)

// Dead-letter headers.
const (
	HeaderReason      = "Tagflow-Reason"           // short fixed word, e.g. "max_deliver"
	HeaderError       = "Tagflow-Error"            // last error, sanitised and truncated
	HeaderStatus      = "Tagflow-Status"           // HTTP status of the failure, when there was one
	HeaderDeliveries  = "Tagflow-Deliveries"       // deliveries of the event before it was dead-lettered
	HeaderTime        = "Tagflow-Time"             // RFC 3339 time it was dead-lettered
	HeaderConsumer    = "Tagflow-Consumer"         // consumer that gave up
	HeaderSubject     = "Tagflow-Original-Subject" // subject the event was published on
	HeaderOriginalSeq = "Tagflow-Original-Seq"     // its sequence in the event stream
	HeaderEventID     = "Tagflow-Event-Id"         // envelope id (absent for invalid envelopes)
	HeaderRedrive     = "Tagflow-Redrive"          // on a redriven event: the dead letter's sequence
)

// The dead-letter reasons the consumer itself gives.
const (
	// ReasonMaxDeliver: a Retry at the durable consumer's last delivery.
	ReasonMaxDeliver = "max_deliver"
	// ReasonInvalidEnvelope: the message is not a valid event envelope.
	ReasonInvalidEnvelope = "invalid_envelope"
	// ReasonPanic: the handler panicked.
	ReasonPanic = "handler_panic"
	// ReasonUnknownDeliveries: a Retry of a message whose delivery count
	// could not be read from its JetStream metadata. It might have been the
	// last delivery, after which a Nak would lose it, so it is dead-lettered.
	ReasonUnknownDeliveries = "unknown_deliveries"
)

// infoTimeout bounds the consumer-info request made before a retry.
const infoTimeout = 2 * time.Second

// maxErrorHeader bounds the Tagflow-Error header.
const maxErrorHeader = 512

// Handler handles one delivery and says what to do with it. It must return
// soon after ctx is cancelled (at the end of the shutdown grace period).
type Handler func(ctx context.Context, d *Delivery) Outcome

// Delivery is one delivery of an event to a handler.
type Delivery struct {
	// Envelope is the decoded and validated event.
	Envelope event.Envelope
	// NumDelivered counts deliveries of this event, 1 for the first; 0
	// when the message carried no readable JetStream metadata.
	NumDelivered int
	// MaxDeliver is the durable consumer's maximum as the server last
	// reported it (not this process's Config, which another process's
	// EnsureConsumer may have overridden); <= 0 means unlimited.
	// NumDelivered == MaxDeliver is the last try.
	MaxDeliver int
	// Subject is the subject the event was published on.
	Subject string
	// Seq is the event's sequence number in the stream.
	Seq uint64
	// Data is the raw message body.
	Data []byte

	mu  sync.Mutex
	msg jetstream.Msg
}

// InProgress tells JetStream the event is still being worked on, which
// restarts its AckWait. The consumer already does this every AckWait/3 while
// the handler runs; handlers may call it after a step that took long.
func (d *Delivery) InProgress() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.msg.InProgress()
}

// LastTry reports whether this is the last delivery before a Retry becomes a
// dead letter. It is also true when NumDelivered is unknown (0), since a
// Retry is then dead-lettered too. The consumer re-reads the server's
// MaxDeliver before acting on a Retry, so a handler's LastTry can be stale
// only when another process changed the consumer meanwhile.
func (d *Delivery) LastTry() bool { return lastTry(d.NumDelivered, d.MaxDeliver) }

// lastTry decides whether a Retry of delivery n under the server's maximum
// limit (<= 0: unlimited) must become a dead letter: JetStream never delivers
// the event again after delivery limit, so a Nak there would lose it
// silently. n < 1 means the count is unknown, treated as the last try.
func lastTry(n, limit int) bool { return n < 1 || (limit > 0 && n >= limit) }

// ConsumerOptions configures a Consumer. Zero values mean the defaults.
type ConsumerOptions struct {
	// Concurrency is the number of events handled at once by this process.
	// Default 4.
	Concurrency int
	// ShutdownGrace is how long in-flight handlers may go on, with their
	// context alive, after Run's context ends. Default 25s (below the usual
	// 30s termination grace of container platforms).
	ShutdownGrace time.Duration
	// FetchWait is how long one pull request waits for an event. Default 5s.
	// Run lets the pull in flight when its context ends run out rather than
	// cancel it, so stopping takes up to FetchWait (at most ShutdownGrace).
	FetchWait time.Duration
	// Metrics counts outcomes; nil counts nothing.
	Metrics *Metrics
	// Logger receives one line per retry, dead letter and failure; nil discards.
	Logger *slog.Logger
	// Now is the clock for Tagflow-Time; nil means time.Now.
	Now func() time.Time
}

// Consumer runs a pull loop on one durable consumer.
//
// Each of the Concurrency goroutines pulls one event at a time (Fetch with a
// batch of 1) and only when it is free, so no event waits in a client buffer
// while its AckWait runs out, and a slow event never holds others back.
// Events waiting for a delayed retry are not in this process at all: they
// wait in JetStream, counted against MaxAckPending, which is why
// MaxAckPending must be well above the total concurrency (NewConsumer
// requires at least twice this process's Concurrency; the default 1024
// leaves room for many processes and a burst of retries).
type Consumer struct {
	c    *Client
	kind Kind
	opts ConsumerOptions
	log  *slog.Logger

	// maxDeliver is the durable consumer's MaxDeliver as the server last
	// reported it.
	maxDeliver atomic.Int64

	mu      sync.Mutex
	lastLog time.Time
}

// NewConsumer returns a consumer of the kind's durable consumer (created with
// Client.EnsureConsumer). Errors wrap ErrConfig.
func NewConsumer(c *Client, kind Kind, opts ConsumerOptions) (*Consumer, error) {
	if _, err := kind.filter(c.cfg.SubjectPrefix); err != nil {
		return nil, err
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 4
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 25 * time.Second
	}
	if opts.FetchWait == 0 {
		opts.FetchWait = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch {
	case opts.Concurrency < 1:
		return nil, fmt.Errorf("%w: Concurrency %d: want at least 1", ErrConfig, opts.Concurrency)
	case c.cfg.MaxAckPending < 2*opts.Concurrency:
		return nil, fmt.Errorf("%w: MaxAckPending %d: want at least twice the concurrency (%d)", ErrConfig, c.cfg.MaxAckPending, opts.Concurrency)
	case opts.ShutdownGrace < 0:
		return nil, fmt.Errorf("%w: ShutdownGrace %v: want >= 0", ErrConfig, opts.ShutdownGrace)
	case opts.FetchWait < 100*time.Millisecond:
		return nil, fmt.Errorf("%w: FetchWait %v: want at least 100ms", ErrConfig, opts.FetchWait)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Consumer{c: c, kind: kind, opts: opts, log: log.With("consumer", string(kind))}, nil
}

// Run pulls and handles events until ctx ends, then shuts down:
//  1. it issues no new pull requests; a pull already waiting at the server
//     is not cancelled (the server would still deliver an event to it, which
//     would then wait out AckWait and use up a delivery) but runs out within
//     FetchWait, and an event it brings is handled like any other;
//  2. in-flight handlers go on with their context alive for ShutdownGrace;
//  3. then their context is cancelled; a Retry returned after that is Nak'd
//     without delay, so another process picks the event up at once (at the
//     last delivery it is dead-lettered instead, since JetStream would not
//     deliver it again);
//  4. Run returns when every handler has returned.
//
// Only when ShutdownGrace ends while a pull is still waiting (ShutdownGrace
// shorter than FetchWait) is that pull cancelled; an event the server sends
// to it afterwards is redelivered after AckWait.
//
// The Retry-or-dead-letter decision uses the durable consumer's MaxDeliver
// as the server has it, read when Run starts and again before acting on
// each Retry (falling back to the last value read when the server does not
// answer), never this process's Config.MaxDeliver.
//
// Run returns nil after a shutdown, or an error wrapping ErrNotFound when the
// durable consumer does not exist. While NATS is unreachable it keeps trying.
func (co *Consumer) Run(ctx context.Context, h Handler) error {
	var cons jetstream.Consumer
	for {
		var err error
		cons, err = co.c.js.Consumer(ctx, co.c.cfg.Stream, string(co.kind))
		if err == nil {
			break
		}
		err = co.c.wrap("consumer "+string(co.kind), err)
		if errors.Is(err, ErrNotFound) || ctx.Err() != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		co.pause(ctx, err)
	}
	co.maxDeliver.Store(int64(cons.CachedInfo().Config.MaxDeliver))
	co.opts.Metrics.init(string(co.kind))

	hctx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	var wg sync.WaitGroup
	for range co.opts.Concurrency {
		wg.Go(func() { co.pull(ctx, hctx, cons, h) })
	}
	<-ctx.Done()
	co.log.Info("stopping: no new events, waiting for in-flight ones", "grace", co.opts.ShutdownGrace)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	t := time.NewTimer(co.opts.ShutdownGrace)
	defer t.Stop()
	select {
	case <-finished:
	case <-t.C:
		co.log.Warn("shutdown grace over: cancelling in-flight events")
		cancelHandlers()
		<-finished
	}
	co.log.Info("stopped")
	return nil
}

// pull is one worker: fetch one event, handle it, repeat until ctx ends.
// The fetch lives on hctx, not ctx: a pull waiting when ctx ends runs out
// (or brings an event, which is handled) instead of being abandoned at the
// server.
func (co *Consumer) pull(ctx, hctx context.Context, cons jetstream.Consumer, h Handler) {
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(hctx, co.opts.FetchWait)
		batch, err := cons.Fetch(1, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			co.pause(ctx, fmt.Errorf("fetch: %w", err))
			continue
		}
		for msg := range batch.Messages() {
			co.handle(hctx, cons, msg, h)
		}
		cancel()
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			co.pause(ctx, fmt.Errorf("fetch: %w", err))
		}
	}
}

// pause logs err (at most every 10s) and waits a second or until ctx ends.
func (co *Consumer) pause(ctx context.Context, err error) {
	co.mu.Lock()
	if now := time.Now(); now.Sub(co.lastLog) >= 10*time.Second {
		co.lastLog = now
		co.log.Warn("cannot pull events; retrying", "err", err)
	}
	co.mu.Unlock()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (co *Consumer) handle(hctx context.Context, cons jetstream.Consumer, msg jetstream.Msg, h Handler) {
	d := &Delivery{Subject: msg.Subject(), Data: msg.Data(), msg: msg, MaxDeliver: int(co.maxDeliver.Load())}
	if meta, err := msg.Metadata(); err == nil {
		d.NumDelivered = int(meta.NumDelivered)
		d.Seq = meta.Sequence.Stream
	} else {
		co.log.Warn("message without JetStream metadata; a retry of it will be dead-lettered", "err", err)
	}
	env, err := event.Unmarshal(d.Data)
	if err != nil {
		co.apply(hctx, cons, d, DeadLetter(ReasonInvalidEnvelope, err, 0))
		return
	}
	d.Envelope = env
	co.opts.Metrics.inflightAdd(string(co.kind), 1)
	defer co.opts.Metrics.inflightAdd(string(co.kind), -1)
	stop := co.keepAlive(d)
	out := co.call(hctx, h, d)
	stop()
	co.apply(hctx, cons, d, out)
}

// serverMaxDeliver asks the server for the durable consumer's MaxDeliver,
// falling back to the last value read when it does not answer in time.
func (co *Consumer) serverMaxDeliver(ctx context.Context, cons jetstream.Consumer, log *slog.Logger) int {
	ictx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	info, err := cons.Info(ictx)
	if err != nil {
		log.Warn("cannot read the consumer's MaxDeliver; using the last value read", "max_deliver", co.maxDeliver.Load(), "err", err)
		return int(co.maxDeliver.Load())
	}
	co.maxDeliver.Store(int64(info.Config.MaxDeliver))
	return info.Config.MaxDeliver
}

// call runs the handler, turning a panic into a dead letter: a handler that
// panics on an event will most likely panic on every delivery of it.
func (co *Consumer) call(ctx context.Context, h Handler, d *Delivery) (out Outcome) {
	defer func() {
		if r := recover(); r != nil {
			co.log.Error("handler panicked", "seq", d.Seq, "event_id", d.Envelope.ID, "panic", r, "stack", string(debug.Stack()))
			out = DeadLetter(ReasonPanic, fmt.Errorf("panic: %v", r), 0)
		}
	}()
	return h(ctx, d)
}

// keepAlive sends InProgress every AckWait/3 until the returned stop is called.
func (co *Consumer) keepAlive(d *Delivery) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(max(co.c.cfg.AckWait/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := d.InProgress(); err != nil {
					co.log.Debug("in-progress signal failed", "seq", d.Seq, "err", err)
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// apply turns an outcome into Ack, Nak with delay, or dead letter + Term.
func (co *Consumer) apply(hctx context.Context, cons jetstream.Consumer, d *Delivery, out Outcome) {
	interrupted := hctx.Err() != nil
	ctx, cancel := context.WithTimeout(context.WithoutCancel(hctx), 10*time.Second)
	defer cancel()
	kind := string(co.kind)
	log := co.log.With("seq", d.Seq, "deliveries", d.NumDelivered, "event_id", d.Envelope.ID)
	switch out.act {
	case actAck:
		d.mu.Lock()
		err := d.msg.DoubleAck(ctx)
		d.mu.Unlock()
		if err != nil {
			log.Error("ack failed; the event will be delivered again", "err", err)
			co.opts.Metrics.count(kind, OutcomeFailed)
			return
		}
		if out.label == OutcomeSkipped {
			log.Debug("event skipped", "reason", out.reason)
		}
		co.opts.Metrics.count(kind, out.label)
	case actDeadLetter:
		co.deadLetter(ctx, d, out.reason, out.err, out.status, log)
	default:
		if d.NumDelivered < 1 {
			co.deadLetter(ctx, d, ReasonUnknownDeliveries, out.err, out.status, log)
			return
		}
		if lastTry(d.NumDelivered, co.serverMaxDeliver(ctx, cons, log)) {
			co.deadLetter(ctx, d, ReasonMaxDeliver, out.err, out.status, log)
			return
		}
		delay := time.Duration(0)
		if !interrupted {
			delay = co.c.cfg.RetryDelay(d.NumDelivered, out.minDelay)
		}
		d.mu.Lock()
		err := d.msg.NakWithDelay(delay)
		d.mu.Unlock()
		if err != nil {
			log.Error("nak failed; the event will be delivered again after AckWait", "err", err)
			co.opts.Metrics.count(kind, OutcomeFailed)
			return
		}
		log.Info("event will be retried", "delay", delay, "err", out.err)
		co.opts.Metrics.count(kind, OutcomeRetried)
	}
}

// deadLetter stores the original message in the dead-letter stream, waits
// for the PubAck, then terminates the event. If the dead letter cannot be
// stored the event is Nak'd with a delay instead: it is never dropped.
func (co *Consumer) deadLetter(ctx context.Context, d *Delivery, reason string, cause error, status int, log *slog.Logger) {
	kind := string(co.kind)
	subject := co.c.cfg.DLQPrefix + "." + kind + ".invalid"
	if d.Envelope.ID != "" {
		subject = co.c.cfg.DLQPrefix + "." + kind + "." + event.Token(d.Envelope.Owner) + "." + event.Token(d.Envelope.Project)
	}
	m := nats.NewMsg(subject)
	m.Data = d.Data
	m.Header.Set(HeaderReason, reason)
	if cause != nil {
		m.Header.Set(HeaderError, SanitizeError(cause.Error()))
	}
	if status != 0 {
		m.Header.Set(HeaderStatus, strconv.Itoa(status))
	}
	m.Header.Set(HeaderDeliveries, strconv.Itoa(d.NumDelivered))
	m.Header.Set(HeaderTime, co.opts.Now().UTC().Format(time.RFC3339))
	m.Header.Set(HeaderConsumer, kind)
	m.Header.Set(HeaderSubject, d.Subject)
	m.Header.Set(HeaderOriginalSeq, strconv.FormatUint(d.Seq, 10))
	if d.Envelope.ID != "" {
		m.Header.Set(HeaderEventID, d.Envelope.ID)
	}
	// A redelivery after a lost Term publishes the same id: stored once.
	// Without a stream sequence (no metadata) there is no safe id: two
	// different events would share it and the second would be dropped.
	if d.Seq != 0 {
		m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("dlq:%s:%d", kind, d.Seq))
	}
	m.Header.Set(jetstream.ExpectedStreamHeader, co.c.cfg.DLQStream)

	// Before the last delivery a dead letter that cannot be stored is Nak'd
	// after three attempts: JetStream delivers the event again. At the last
	// delivery it would not, so the publish is tried until it succeeds or the
	// consumer shuts down, keeping the event in progress meanwhile: the dead
	// letter carries the event's bytes, and storing it is what keeps the
	// event.
	last := d.LastTry()
	var err error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			wait := min(time.Duration(attempt)*200*time.Millisecond, 5*time.Second)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			if last {
				_ = d.InProgress()
			}
		}
		if err = co.c.checkSize(m); err != nil {
			break
		}
		if _, err = co.c.js.PublishMsg(ctx, m); err == nil || ctx.Err() != nil {
			break
		}
		if !last && attempt >= 2 {
			break
		}
		if attempt == 2 {
			log.Error("cannot store dead letter at the last delivery; trying until it is stored or the worker stops", "reason", reason, "err", err)
		}
	}
	if err != nil {
		delay := co.c.cfg.RetryDelay(d.NumDelivered, 0)
		d.mu.Lock()
		nerr := d.msg.NakWithDelay(delay)
		d.mu.Unlock()
		log.Error("cannot store dead letter; event Nak'd instead", "reason", reason, "err", err, "nak_err", nerr, "delay", delay)
		co.opts.Metrics.count(kind, OutcomeFailed)
		return
	}
	d.mu.Lock()
	terr := d.msg.TermWithReason(reason)
	d.mu.Unlock()
	if terr != nil {
		// The dead letter is stored; a redelivery will store it again under
		// the same Nats-Msg-Id, which JetStream deduplicates.
		log.Warn("term after dead letter failed", "err", terr)
	}
	log.Warn("event dead-lettered", "reason", reason, "status", status, "err", cause, "dlq_subject", subject)
	co.opts.Metrics.count(kind, OutcomeDeadLettered)
}

var urlUserinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@`)

// SanitizeError makes an error message safe for a header: credentials in
// URLs are replaced, control characters become spaces, and the text is cut
// to 512 bytes at a character boundary (ending in "…").
func SanitizeError(s string) string {
	s = urlUserinfo.ReplaceAllString(s, "${1}redacted@")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxErrorHeader {
		cut := maxErrorHeader - len("…")
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
