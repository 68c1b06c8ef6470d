package main

import (
	"context"
	"strings"
	"testing"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"zero workers", []string{"-workers", "0"}, 2, "-workers must be at least 1"},
		{"stray argument", []string{"now"}, 2, `unexpected arguments ["now"]`},
		{"unknown flag", []string{"-nope"}, 2, "flag provided but not defined: -nope"},
		{"help", []string{"-h"}, 0, "-load"},
		{"missing binaries", []string{"-bin", t.TempDir(), "-nats-port", "-1", "-nats-monitor-port", "0", "-emulator-listen", "127.0.0.1:0", "-data", t.TempDir()}, 1, "ingest binary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errw strings.Builder
			if code := run(context.Background(), tc.args, &out, &errw); code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, errw.String())
			}
			if !strings.Contains(errw.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", errw.String(), tc.want)
			}
		})
	}
}

// TestGeneratedText: generated texts are deterministic and name what the
// summary of a generated run counts on.
func TestGeneratedText(t *testing.T) {
	a, b := generatedText(7), generatedText(7)
	if a != b {
		t.Fatal("generatedText is not deterministic")
	}
	for _, want := range []string{"Markets report 7", genOrgs[7%len(genOrgs)], genPeople[7%len(genPeople)], genMoney[7%len(genMoney)]} {
		if !strings.Contains(a, want) {
			t.Errorf("text lacks %q:\n%s", want, a)
		}
	}
	if generatedText(8) == a {
		t.Error("two indexes give the same text")
	}
}
