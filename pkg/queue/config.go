package queue

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config describes the streams and consumers. The zero value of every field
// means its documented default; Defaults returns them all.
type Config struct {
	// Stream is the event stream's name. Default "TAGTOG".
	Stream string
	// SubjectPrefix is the event subject prefix; events are published on
	// <prefix>.<status>.<owner token>.<project token>. Default "tagtog.events".
	SubjectPrefix string
	// DLQStream is the dead-letter stream's name. Default "TAGTOG_DLQ".
	DLQStream string
	// DLQPrefix is the dead-letter subject prefix; dead letters are published on
	// <prefix>.<consumer>.<owner token>.<project token>. Default "tagtog.dlq".
	DLQPrefix string
	// Replicas of both streams: 1 on one machine, 3 in a cluster. Default 1.
	Replicas int
	// MemoryStorage keeps the streams in memory instead of files (tests and
	// throw-away setups only). Default false: file storage.
	MemoryStorage bool
	// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. Default 2m:
	// it covers a sender's immediate re-deliveries of one import while a
	// deliberate re-import minutes later is processed again.
	DuplicateWindow time.Duration
	// MaxAge bounds how long events stay in the stream (acknowledged or not).
	// Default 7 days: enough to survive a long outage of tagtog or the workers.
	MaxAge time.Duration
	// MaxBytes bounds the stream's size; the oldest events are discarded first.
	// Default 1 GiB (millions of envelopes of a few hundred bytes).
	MaxBytes int64
	// DLQMaxAge bounds how long dead letters are kept. Default 30 days.
	DLQMaxAge time.Duration
	// AckWait is how long a delivered message may stay unacknowledged before
	// JetStream redelivers it; running handlers extend it with InProgress.
	// Default 60s.
	AckWait time.Duration
	// MaxDeliver is the number of deliveries of one event; a retry at the last
	// delivery goes to the dead-letter stream. Default 8.
	MaxDeliver int
	// MaxAckPending bounds the messages of one consumer that are delivered but
	// not yet acknowledged, across all processes. Messages Nak'd with a delay
	// count against it while they wait, so it must be well above the total
	// concurrency, or a burst of delayed retries would stop healthy events
	// from being delivered. Default 1024.
	MaxAckPending int
	// RetryBase and RetryMax shape the Nak delay of a retry: RetryBase *
	// 2^(deliveries-1), at least the handler's minimum delay, at most RetryMax.
	// Defaults 10s and 10m: with MaxDeliver 8 an event is retried for about
	// 20 minutes before it is dead-lettered.
	RetryBase, RetryMax time.Duration
	// PublishTimeout bounds one publish including its PubAck. Default 5s.
	PublishTimeout time.Duration
}

// Defaults returns the configuration with every default filled in.
func Defaults() Config {
	var c Config
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defd := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Stream, "TAGTOG")
	def(&c.SubjectPrefix, "tagtog.events")
	def(&c.DLQStream, "TAGTOG_DLQ")
	def(&c.DLQPrefix, "tagtog.dlq")
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	defd(&c.DuplicateWindow, 2*time.Minute)
	defd(&c.MaxAge, 7*24*time.Hour)
	if c.MaxBytes == 0 {
		c.MaxBytes = 1 << 30
	}
	defd(&c.DLQMaxAge, 30*24*time.Hour)
	defd(&c.AckWait, 60*time.Second)
	if c.MaxDeliver == 0 {
		c.MaxDeliver = 8
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 1024
	}
	defd(&c.RetryBase, 10*time.Second)
	defd(&c.RetryMax, 10*time.Minute)
	defd(&c.PublishTimeout, 5*time.Second)
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("queue: invalid config")

// Validate reports the first invalid field after defaults are applied to a
// copy of c. The error wraps ErrConfig.
func (c Config) Validate() error {
	c.setDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	for _, n := range []struct{ field, v string }{{"Stream", c.Stream}, {"DLQStream", c.DLQStream}} {
		if strings.ContainsAny(n.v, " \t\r\n.*>/\\") {
			return bad("%s %q: stream names cannot contain spaces, '.', '*', '>', '/' or '\\'", n.field, n.v)
		}
	}
	if c.Stream == c.DLQStream {
		return bad("Stream and DLQStream are both %q", c.Stream)
	}
	for _, p := range []struct{ field, v string }{{"SubjectPrefix", c.SubjectPrefix}, {"DLQPrefix", c.DLQPrefix}} {
		for _, tok := range strings.Split(p.v, ".") {
			if tok == "" || strings.ContainsAny(tok, " \t\r\n*>") {
				return bad("%s %q is not a literal subject prefix", p.field, p.v)
			}
		}
	}
	if c.SubjectPrefix == c.DLQPrefix || strings.HasPrefix(c.DLQPrefix+".", c.SubjectPrefix+".") || strings.HasPrefix(c.SubjectPrefix+".", c.DLQPrefix+".") {
		return bad("SubjectPrefix %q and DLQPrefix %q overlap", c.SubjectPrefix, c.DLQPrefix)
	}
	switch {
	case c.Replicas < 1 || c.Replicas > 5:
		return bad("Replicas %d: want 1 to 5", c.Replicas)
	case c.DuplicateWindow < 0 || c.DuplicateWindow > c.MaxAge:
		return bad("DuplicateWindow %v: want between 0 and MaxAge (%v)", c.DuplicateWindow, c.MaxAge)
	case c.MaxAge < 0, c.DLQMaxAge < 0, c.MaxBytes < 0:
		return bad("MaxAge, DLQMaxAge and MaxBytes cannot be negative")
	case c.AckWait < 100*time.Millisecond:
		return bad("AckWait %v: want at least 100ms", c.AckWait)
	case c.MaxDeliver < 1:
		return bad("MaxDeliver %d: want at least 1", c.MaxDeliver)
	case c.MaxAckPending < 1:
		return bad("MaxAckPending %d: want at least 1", c.MaxAckPending)
	case c.RetryBase <= 0 || c.RetryMax < c.RetryBase:
		return bad("RetryBase %v, RetryMax %v: want 0 < RetryBase <= RetryMax", c.RetryBase, c.RetryMax)
	case c.PublishTimeout <= 0:
		return bad("PublishTimeout %v: want > 0", c.PublishTimeout)
	}
	return nil
}

// Kind names a durable consumer, and with it the events it receives.
type Kind string

// The durable consumers. Every worker process of a kind shares one consumer.
const (
	Annotator Kind = "annotator" // created events: annotate and push back
	Exporter  Kind = "exporter"  // updated events: export saved documents
)

// filter returns the subject filter of the consumer kind.
func (k Kind) filter(prefix string) (string, error) {
	switch k {
	case Annotator:
		return prefix + ".created.>", nil
	case Exporter:
		return prefix + ".updated.>", nil
	}
	return "", fmt.Errorf("%w: unknown consumer %q", ErrConfig, string(k))
}

// RetryDelay returns the Nak delay of a retry at the given delivery count
// (1 for the first delivery): RetryBase * 2^(delivered-1), raised to min and
// capped at RetryMax.
func (c Config) RetryDelay(delivered int, min time.Duration) time.Duration {
	c.setDefaults()
	d := c.RetryBase
	for i := 1; i < delivered && d < c.RetryMax; i++ {
		d *= 2
	}
	if d < min {
		d = min
	}
	if d > c.RetryMax {
		d = c.RetryMax
	}
	return d
}
