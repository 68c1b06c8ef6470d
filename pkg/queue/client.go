// Package queue is tagflow's JetStream layer: it creates the event and
// dead-letter streams and the durable pull consumers, publishes envelopes and
// waits for the PubAck, and runs the pull loop that turns a handler's Outcome
// into Ack, Nak with delay, or a dead letter followed by Term.
//
// JetStream types stay inside this package; callers see Client, Publisher,
// Consumer, Delivery, Outcome and plain structs.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrUnavailable: NATS or the stream did not answer in time (no
	// connection, no responders, timeout). Ingest answers 503.
	ErrUnavailable = errors.New("queue: unavailable")
	// ErrTooLarge: the message exceeds the server's max payload.
	ErrTooLarge = errors.New("queue: message too large")
	// ErrNotFound: a stream, consumer or dead letter does not exist.
	ErrNotFound = errors.New("queue: not found")
)

// Client is a NATS connection with the JetStream context and the stream
// configuration every operation needs.
type Client struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cfg   Config
	log   *slog.Logger
	owned bool // Connect made nc, so Close/Drain close it
}

// New wraps an existing connection. cfg is validated and its defaults filled
// in; errors wrap ErrConfig. log may be nil.
func New(nc *nats.Conn, cfg Config, log *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("queue: jetstream: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{nc: nc, js: js, cfg: cfg, log: log}, nil
}

// Connect connects to the NATS servers in url (comma-separated) as the named
// client, reconnecting forever and buffering publishes while reconnecting.
// It returns once connected, or with an error wrapping ErrUnavailable when
// ctx ends first. Credentials in url never appear in logs or errors.
func Connect(ctx context.Context, url, name string, cfg Config, log *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	safe := RedactURL(url)
	log = log.With("nats", safe)
	connected := make(chan struct{}, 1)
	signal := func() {
		select {
		case connected <- struct{}{}:
		default:
		}
	}
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(time.Second),
		nats.ReconnectJitter(500*time.Millisecond, time.Second),
		nats.ReconnectBufSize(8<<20),
		nats.ConnectHandler(func(*nats.Conn) { log.Info("nats connected"); signal() }),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("nats reconnected"); signal() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", redactErr(err, url))
			}
		}),
		nats.ClosedHandler(func(*nats.Conn) { log.Info("nats connection closed") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("nats async error", "err", redactErr(err, url))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("queue: connect %s: %w", safe, redactErr(err, url))
	}
	if !nc.IsConnected() {
		select {
		case <-connected:
		case <-ctx.Done():
			nc.Close()
			return nil, fmt.Errorf("%w: connect %s: %v", ErrUnavailable, safe, ctx.Err())
		}
	}
	c, err := New(nc, cfg, log)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.owned = true
	return c, nil
}

// RedactURL replaces user information in every URL of a comma-separated
// NATS URL list with "redacted".
func RedactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			if strings.Contains(p, "@") {
				parts[i] = "<unparsable url>"
			}
			continue
		}
		if u.User != nil {
			u.User = url.User("redacted")
		}
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

// redactErr removes url's credentials from an error message.
func redactErr(err error, rawURL string) error {
	msg := err.Error()
	for _, p := range strings.Split(rawURL, ",") {
		u, perr := url.Parse(strings.TrimSpace(p))
		if perr != nil || u.User == nil {
			continue
		}
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "redacted")
		}
		if n := u.User.Username(); n != "" {
			msg = strings.ReplaceAll(msg, n, "redacted")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// Config returns the configuration with defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// Connected reports whether the connection is currently up.
func (c *Client) Connected() bool { return c.nc.IsConnected() }

// MaxPayload returns the server's maximum message size (headers included),
// or 0 while not connected.
func (c *Client) MaxPayload() int64 { return c.nc.MaxPayload() }

// Ready reports whether the connection is up and the event stream exists.
// Errors wrap ErrUnavailable or ErrNotFound.
func (c *Client) Ready(ctx context.Context) error {
	if !c.nc.IsConnected() {
		return fmt.Errorf("%w: not connected (%s)", ErrUnavailable, c.nc.Status())
	}
	if _, err := c.js.Stream(ctx, c.cfg.Stream); err != nil {
		return c.wrap("stream "+c.cfg.Stream, err)
	}
	return nil
}

// Drain stops subscriptions, flushes pending publishes and closes the
// connection, waiting until it is closed or ctx ends. It only touches a
// connection made by Connect.
func (c *Client) Drain(ctx context.Context) error {
	if !c.owned || c.nc.IsClosed() {
		return nil
	}
	closed := make(chan struct{})
	c.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := c.nc.Drain(); err != nil {
		c.nc.Close()
		return fmt.Errorf("queue: drain: %w", err)
	}
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
		c.nc.Close()
		return fmt.Errorf("queue: drain: %w", ctx.Err())
	}
}

// Close closes a connection made by Connect immediately.
func (c *Client) Close() {
	if c.owned {
		c.nc.Close()
	}
}

func (c *Client) streamConfigs() []jetstream.StreamConfig {
	storage := jetstream.FileStorage
	if c.cfg.MemoryStorage {
		storage = jetstream.MemoryStorage
	}
	return []jetstream.StreamConfig{
		{
			Name:        c.cfg.Stream,
			Description: "tagtog webhook events",
			Subjects:    []string{c.cfg.SubjectPrefix + ".>"},
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardOld,
			MaxAge:      c.cfg.MaxAge,
			MaxBytes:    c.cfg.MaxBytes,
			Storage:     storage,
			Replicas:    c.cfg.Replicas,
			Duplicates:  c.cfg.DuplicateWindow,
		},
		{
			Name:        c.cfg.DLQStream,
			Description: "tagtog events that could not be processed",
			Subjects:    []string{c.cfg.DLQPrefix + ".>"},
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardOld,
			MaxAge:      c.cfg.DLQMaxAge,
			Storage:     storage,
			Replicas:    c.cfg.Replicas,
			Duplicates:  c.cfg.DuplicateWindow,
		},
	}
}

// EnsureStreams creates the event and dead-letter streams, or updates them
// to the configuration. Errors wrap ErrUnavailable when NATS does not answer.
func (c *Client) EnsureStreams(ctx context.Context) error {
	for _, sc := range c.streamConfigs() {
		if _, err := c.js.CreateOrUpdateStream(ctx, sc); err != nil {
			return c.wrap("ensure stream "+sc.Name, err)
		}
	}
	return nil
}

func (c *Client) consumerConfig(kind Kind) (jetstream.ConsumerConfig, error) {
	filter, err := kind.filter(c.cfg.SubjectPrefix)
	if err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	return jetstream.ConsumerConfig{
		Durable:       string(kind),
		Description:   "tagflow " + string(kind),
		FilterSubject: filter,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		MaxDeliver:    c.cfg.MaxDeliver,
		MaxAckPending: c.cfg.MaxAckPending,
		// No BackOff: retry delays are chosen per message with NakWithDelay.
	}, nil
}

// EnsureConsumer creates the durable pull consumer of the kind, or updates
// it to the configuration. Errors wrap ErrConfig for an unknown kind and
// ErrUnavailable when NATS does not answer.
func (c *Client) EnsureConsumer(ctx context.Context, kind Kind) error {
	cc, err := c.consumerConfig(kind)
	if err != nil {
		return err
	}
	if _, err := c.js.CreateOrUpdateConsumer(ctx, c.cfg.Stream, cc); err != nil {
		return c.wrap("ensure consumer "+string(kind), err)
	}
	return nil
}

// wrap adds context to a NATS error and classifies it.
func (c *Client) wrap(op string, err error) error {
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound), errors.Is(err, jetstream.ErrConsumerNotFound),
		errors.Is(err, jetstream.ErrMsgNotFound):
		return fmt.Errorf("%w: %s: %v", ErrNotFound, op, err)
	case unavailable(err):
		return fmt.Errorf("%w: %s: %v", ErrUnavailable, op, err)
	}
	return fmt.Errorf("queue: %s: %w", op, err)
}

// unavailable reports errors that mean "NATS did not answer; try later".
func unavailable(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionDraining) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, nats.ErrNoServers) || errors.Is(err, nats.ErrReconnectBufExceeded) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrConnectionClosed) ||
		errors.Is(err, jetstream.ErrServerShutdown) || errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}
