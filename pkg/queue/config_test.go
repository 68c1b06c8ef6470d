package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/queue"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  queue.Config
		ok   bool
	}{
		{"defaults", queue.Config{}, true},
		{"cluster", queue.Config{Replicas: 3}, true},
		{"stream with dot", queue.Config{Stream: "TAG.TOG"}, false},
		{"same streams", queue.Config{Stream: "X", DLQStream: "X"}, false},
		{"wildcard prefix", queue.Config{SubjectPrefix: "tagtog.*"}, false},
		{"empty token", queue.Config{SubjectPrefix: "tagtog..events"}, false},
		{"overlapping prefixes", queue.Config{DLQPrefix: "tagtog.events.dlq"}, false},
		{"replicas 7", queue.Config{Replicas: 7}, false},
		{"dup window over max age", queue.Config{DuplicateWindow: time.Hour, MaxAge: time.Minute}, false},
		{"ack wait tiny", queue.Config{AckWait: time.Millisecond}, false},
		{"negative max deliver", queue.Config{MaxDeliver: -1}, false},
		{"retry max below base", queue.Config{RetryBase: time.Minute, RetryMax: time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, queue.ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	d := queue.Defaults()
	if d.Stream != "TAGTOG" || d.SubjectPrefix != "tagtog.events" || d.DLQStream != "TAGTOG_DLQ" || d.DLQPrefix != "tagtog.dlq" ||
		d.Replicas != 1 || d.DuplicateWindow != 2*time.Minute || d.AckWait != time.Minute || d.MaxDeliver != 8 ||
		d.MaxAckPending != 1024 || d.RetryBase != 10*time.Second || d.RetryMax != 10*time.Minute || d.MaxAge != 7*24*time.Hour {
		t.Fatalf("Defaults() = %+v", d)
	}
}

func TestRetryDelay(t *testing.T) {
	c := queue.Config{RetryBase: 10 * time.Second, RetryMax: 10 * time.Minute}
	tests := []struct {
		delivered int
		min, want time.Duration
	}{
		{1, 0, 10 * time.Second},
		{2, 0, 20 * time.Second},
		{4, 0, 80 * time.Second},
		{7, 0, 10 * time.Minute},
		{60, 0, 10 * time.Minute},
		{1, 45 * time.Second, 45 * time.Second},
		{3, 30 * time.Second, 40 * time.Second},
		{1, time.Hour, 10 * time.Minute},
	}
	for _, tt := range tests {
		if got := c.RetryDelay(tt.delivered, tt.min); got != tt.want {
			t.Errorf("RetryDelay(%d, %v) = %v, want %v", tt.delivered, tt.min, got, tt.want)
		}
	}
}

func TestSanitizeError(t *testing.T) {
	long := make([]byte, 600)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct{ name, in, want string }{
		{"plain", "boom", "boom"},
		{"url credentials", "Get \"https://user:pa55@host/x\": EOF", "Get \"https://redacted@host/x\": EOF"},
		{"nats url", "nats://tok@127.0.0.1:4222 refused", "nats://redacted@127.0.0.1:4222 refused"},
		{"newlines", "a\r\nb\tc", "a  b c"},
		{"truncated", string(long), string(long[:509]) + "…"},
		{"truncated at rune", string(long[:508]) + "éééé", string(long[:508]) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := queue.SanitizeError(tt.in); got != tt.want {
				t.Errorf("SanitizeError(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://user:pw@a:4222,nats://tok@b:4222", "nats://redacted@a:4222,nats://redacted@b:4222"},
	}
	for _, tt := range tests {
		if got := queue.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
