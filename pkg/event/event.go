// Package event defines the versioned envelope that carries one tagtog webhook
// event through JetStream, its validation, the subject it is published on and
// the message id used for deduplication. It depends on the standard library only.
package event

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Version is the envelope format version written by this code. Decoders accept
// envelopes whose version is at most Version.
const Version = 1

// Status says what happened to a document in tagtog.
type Status string

// Statuses sent by tagtog in the X-tagtog-onPushSave-status header.
const (
	StatusCreated Status = "created" // a document was imported
	StatusUpdated Status = "updated" // annotations were saved
)

// Source says where a change originated, from the X-tagtog-onPushSave-source header.
type Source string

// Sources sent by tagtog.
const (
	SourceGUI Source = "GUI"
	SourceAPI Source = "API"
)

// FormatTagtogID is the only webhook payload format that identifies a document.
const FormatTagtogID = "tagtogID"

// MemberMaster is the annotation version tagtog calls master (ground truth).
const MemberMaster = "master"

// MaxFieldLen bounds owner, project, member and document id lengths so that a
// subject or header never grows without limit.
const MaxFieldLen = 1024

// MaxIDLen bounds the envelope id, which travels in message headers.
const MaxIDLen = 128

// ErrInvalid is wrapped by every validation error; errors.Is(err, ErrInvalid)
// tells a malformed envelope (a permanent failure) from other errors.
var ErrInvalid = errors.New("invalid event")

// Envelope is the message body stored in JetStream for one webhook delivery.
// Owner, project and document id keep their real values here; subjects only
// carry escaped tokens.
type Envelope struct {
	V          int       `json:"v"`
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Owner      string    `json:"owner"`
	Project    string    `json:"project"`
	DocID      string    `json:"doc_id"`
	Member     string    `json:"member,omitempty"`
	Source     Source    `json:"source,omitempty"`
	Status     Status    `json:"status"`
	Format     string    `json:"format"`
}

// New returns an envelope with a fresh random id, Version and the given time,
// with an empty member normalised to master.
func New(now time.Time, owner, project, docID, member string, status Status, source Source) Envelope {
	if member == "" {
		member = MemberMaster
	}
	return Envelope{
		V:          Version,
		ID:         NewID(),
		ReceivedAt: now.UTC(),
		Owner:      owner,
		Project:    project,
		DocID:      docID,
		Member:     member,
		Source:     source,
		Status:     status,
		Format:     FormatTagtogID,
	}
}

// NewID returns a random 128-bit identifier in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// Validate reports whether e can be processed. The error wraps ErrInvalid.
func (e *Envelope) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if e.V < 1 || e.V > Version {
		return bad("unsupported envelope version %d", e.V)
	}
	if e.ID == "" {
		return bad("missing id")
	}
	// The id travels in message headers (Nats-Msg-Id, dead-letter headers),
	// so it must not be able to smuggle in line breaks or other bytes.
	if len(e.ID) > MaxIDLen || strings.IndexFunc(e.ID, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return bad("id must be 1 to %d printable ASCII characters without spaces", MaxIDLen)
	}
	for _, f := range []struct{ name, v string }{
		{"owner", e.Owner}, {"project", e.Project}, {"document id", e.DocID},
	} {
		if strings.TrimSpace(f.v) == "" {
			return bad("missing %s", f.name)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"owner", e.Owner}, {"project", e.Project}, {"document id", e.DocID}, {"member", e.Member},
	} {
		if len(f.v) > MaxFieldLen {
			return bad("%s longer than %d bytes", f.name, MaxFieldLen)
		}
		if !utf8.ValidString(f.v) {
			return bad("%s is not valid UTF-8", f.name)
		}
		if strings.IndexFunc(f.v, unicode.IsControl) >= 0 {
			return bad("%s contains control characters", f.name)
		}
	}
	switch e.Status {
	case StatusCreated, StatusUpdated:
	default:
		return bad("unknown status %q", e.Status)
	}
	switch e.Source {
	case "", SourceGUI, SourceAPI:
	default:
		return bad("unknown source %q", e.Source)
	}
	if e.Format != FormatTagtogID {
		return bad("unsupported payload format %q", e.Format)
	}
	if e.ReceivedAt.IsZero() {
		return bad("missing received_at")
	}
	return nil
}

// MemberOrMaster returns the member whose annotation version the event concerns.
func (e *Envelope) MemberOrMaster() string {
	if e.Member == "" {
		return MemberMaster
	}
	return e.Member
}

// Subject returns the subject the event is published on:
// <prefix>.<status>.<owner token>.<project token>, e.g. "tagtog.events.created.acme.ner".
func (e *Envelope) Subject(prefix string) string {
	return prefix + "." + string(e.Status) + "." + Token(e.Owner) + "." + Token(e.Project)
}

// MsgID returns the Nats-Msg-Id used by JetStream deduplication. Created
// events are deduplicated on the document identity, so a repeated delivery of
// the same import is stored once; updated events use their unique event id and
// are never deduplicated.
func (e *Envelope) MsgID() string {
	if e.Status != StatusCreated {
		return "u:" + e.ID
	}
	var buf [256]byte
	b := buf[:0]
	for _, s := range [...]string{e.Owner, e.Project, e.MemberOrMaster(), e.DocID} {
		// Length-prefix each field so that ("a/b","c") and ("a","b/c") differ.
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
		b = append(b, '|')
	}
	sum := sha256.Sum256(b)
	var out [2 + 2*sha256.Size]byte
	out[0], out[1] = 'c', ':'
	hex.Encode(out[2:], sum[:])
	return string(out[:])
}

// Marshal encodes e as JSON.
func (e *Envelope) Marshal() ([]byte, error) {
	return json.Marshal(e)
}

// Unmarshal decodes and validates an envelope. Errors wrap ErrInvalid.
func Unmarshal(b []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w: decode envelope: %v", ErrInvalid, err)
	}
	if err := e.Validate(); err != nil {
		return Envelope{}, err
	}
	return e, nil
}

// MaxTokenLen bounds the length of a subject token made by Token, so that a
// subject stays far below NATS's control-line limit (4 KiB) whatever the
// owner and project names are.
const MaxTokenLen = 64

// Token escapes s into one safe NATS subject token. Letters, digits, '-' and
// '_' are kept; every other byte becomes '~' followed by two upper-case hex
// digits, so '.', '*', '>', spaces, control and non-ASCII characters can never
// change routing, and distinct values give distinct tokens. The empty string
// becomes "~" (an empty token is not allowed in a subject).
//
// An escaped token longer than MaxTokenLen keeps its first 40 bytes (never
// cutting an escape in two), then "~~" (which escaping never writes) and the
// first 22 hex digits of the SHA-256 of s: still one safe token, still
// distinct for distinct values with overwhelming probability. A single
// webhook with a 1 KiB owner of dots would otherwise make a subject above the
// limit, and NATS closes the connection of a client that sends one.
func Token(s string) string {
	if s == "" {
		return "~"
	}
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('~')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	tok := b.String()
	if len(tok) <= MaxTokenLen {
		return tok
	}
	cut := 40
	// An escape is '~' and two digits: do not stop inside one.
	if i := strings.LastIndexByte(tok[:cut], '~'); i >= 0 && i > cut-3 {
		cut = i
	}
	sum := sha256.Sum256([]byte(s))
	return tok[:cut] + "~~" + hex.EncodeToString(sum[:11])
}
