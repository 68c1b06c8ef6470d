package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestRestartKeepsStreamAndURL(t *testing.T) {
	s := Start(t)
	url := s.ClientURL()
	nc := s.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "s.a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	s.Shutdown()
	if s.Running() {
		t.Fatal("Running after Shutdown")
	}
	s.Restart()
	if got := s.ClientURL(); got != url {
		t.Fatalf("URL changed: %s -> %s", url, got)
	}
	// The client reconnects by itself; poll until the stream answers.
	var msgs uint64
	for {
		st, err := js.Stream(ctx, "S")
		if err == nil {
			info, err := st.Info(ctx)
			if err == nil {
				msgs = info.State.Msgs
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("stream not back after restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if msgs != 1 {
		t.Fatalf("msgs after restart = %d, want 1", msgs)
	}
}
