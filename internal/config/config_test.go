package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePrecedence(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	otherFile := filepath.Join(dir, "pw2")
	if err := os.WriteFile(otherFile, []byte("from-flag-file\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		url      string
		n        int
		d        time.Duration
		b        bool
		size     int64
		f        float64
		password string
	}{
		{name: "defaults", url: "nats://127.0.0.1:4222", n: 4, d: time.Minute, size: 1 << 20, f: 0.5},
		{
			name: "env",
			env:  map[string]string{"NATS_URL": "nats://n:4222", "N": "7", "D": "2s", "B": "true", "S": "2KiB", "F": "1.5", "PW": "env-pw"},
			url:  "nats://n:4222", n: 7, d: 2 * time.Second, b: true, size: 2048, f: 1.5, password: "env-pw",
		},
		{
			name: "flags beat env",
			args: []string{"-url", "nats://flag:1", "-n", "9", "-d", "3m", "-b", "-size", "10", "-f", "2", "-password", "flag-pw"},
			env:  map[string]string{"NATS_URL": "nats://n:4222", "N": "7", "D": "2s", "B": "false", "S": "2KiB", "F": "1.5", "PW": "env-pw"},
			url:  "nats://flag:1", n: 9, d: 3 * time.Minute, b: true, size: 10, f: 2, password: "flag-pw",
		},
		{
			name: "env file", env: map[string]string{"PW_FILE": secretFile},
			url: "nats://127.0.0.1:4222", n: 4, d: time.Minute, size: 1 << 20, f: 0.5, password: "from-file",
		},
		{
			name: "env beats env file", env: map[string]string{"PW_FILE": secretFile, "PW": "env-pw"},
			url: "nats://127.0.0.1:4222", n: 4, d: time.Minute, size: 1 << 20, f: 0.5, password: "env-pw",
		},
		{
			name: "flag file beats env", args: []string{"-password-file", otherFile}, env: map[string]string{"PW": "env-pw"},
			url: "nats://127.0.0.1:4222", n: 4, d: time.Minute, size: 1 << 20, f: 0.5, password: "from-flag-file",
		},
		{
			name: "flag beats flag file", args: []string{"-password-file", otherFile, "-password", "x"},
			url: "nats://127.0.0.1:4222", n: 4, d: time.Minute, size: 1 << 20, f: 0.5, password: "x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			url := String(fs, "url", "NATS_URL", "nats://127.0.0.1:4222", "NATS server")
			n := Int(fs, "n", "N", 4, "count")
			d := Duration(fs, "d", "D", time.Minute, "wait")
			b := Bool(fs, "b", "B", false, "switch")
			size := Size(fs, "size", "S", 1<<20, "limit")
			f := Float(fs, "f", "F", 0.5, "ratio")
			pw := Secret(fs, "password", "PW", "password")
			if err := Parse(fs, tt.args, MapLookup(tt.env)); err != nil {
				t.Fatal(err)
			}
			if *url != tt.url || *n != tt.n || *d != tt.d || *b != tt.b || *size != tt.size || *f != tt.f || *pw != tt.password {
				t.Errorf("got url=%q n=%d d=%v b=%v size=%d f=%v pw=%q", *url, *n, *d, *b, *size, *f, *pw)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad int", map[string]string{"N": "x"}, `config: N="x": not an integer`},
		{"bad duration", map[string]string{"D": "5"}, `config: D="5": not a duration (e.g. 90s, 2m)`},
		{"missing secret file", map[string]string{"PW_FILE": "/nonexistent/pw"}, "config: PW_FILE: read secret file: open /nonexistent/pw: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			Int(fs, "n", "N", 4, "count")
			Duration(fs, "d", "D", time.Minute, "wait")
			Secret(fs, "password", "PW", "password")
			err := Parse(fs, nil, MapLookup(tt.env))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestSecretNeverInUsage(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	Secret(fs, "password", "PW", "webhook password")
	if err := Parse(fs, []string{"-password", "hunter2"}, nil); err != nil {
		t.Fatal(err)
	}
	fs.PrintDefaults()
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("usage shows the secret: %s", out.String())
	}
	if !strings.Contains(out.String(), "(env PW)") || !strings.Contains(out.String(), "(env PW_FILE)") {
		t.Errorf("usage does not name the variables: %s", out.String())
	}
	fs.SetOutput(io.Discard)
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false}, {"1048576", 1 << 20, false}, {"1MiB", 1 << 20, false}, {"512 kib", 512 << 10, false},
		{"2MB", 2000000, false}, {"1GiB", 1 << 30, false}, {"10B", 10, false},
		{"", 0, true}, {"MiB", 0, true}, {"-1", 0, true}, {"1TB", 0, true}, {"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseSize(%q) = %d, %v", tt.in, got, err)
			}
		})
	}
}
