// Package config binds command-line flags to environment variables, in the
// twelve-factor way every tagflow command is configured: a flag given on the
// command line wins, then its environment variable, then the default. Secrets
// can also come from files (a "-name-file" flag or a "<ENV>_FILE" variable), so
// that passwords need not appear in process listings or the environment.
//
// Define flags with String, Int, Duration, Bool, Float, Size and Secret, then
// call Parse instead of fs.Parse. Usage text names each flag's variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// LookupFunc returns the value of an environment variable and whether it is
// set; os.LookupEnv is one. Tests pass a map's lookup instead.
type LookupFunc func(key string) (string, bool)

// MapLookup returns a LookupFunc reading from m.
func MapLookup(m map[string]string) LookupFunc {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// envValue wraps a flag.Value with the environment variable that feeds it.
type envValue struct {
	flag.Value
	env      string
	fileOf   string // for "-x-file" flags: the name of the secret flag it fills
	isSecret bool
}

// String returns the value for usage text. The flag package calls it on a
// zero envValue to find out whether a default is worth printing.
func (v *envValue) String() string {
	if v == nil || v.Value == nil {
		return ""
	}
	return v.Value.String()
}

// IsBoolFlag lets "-flag" without a value work for Bool flags.
func (v *envValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func define(fs *flag.FlagSet, v flag.Value, name, env, usage string) {
	if env != "" {
		usage += " (env " + env + ")"
	}
	fs.Var(&envValue{Value: v, env: env}, name, usage)
}

// String defines a string flag with an environment fallback.
func String(fs *flag.FlagSet, name, env, def, usage string) *string {
	p := new(string)
	*p = def
	define(fs, (*stringValue)(p), name, env, usage)
	return p
}

// Int defines an int flag with an environment fallback.
func Int(fs *flag.FlagSet, name, env string, def int, usage string) *int {
	p := new(int)
	*p = def
	define(fs, (*intValue)(p), name, env, usage)
	return p
}

// Float defines a float64 flag with an environment fallback.
func Float(fs *flag.FlagSet, name, env string, def float64, usage string) *float64 {
	p := new(float64)
	*p = def
	define(fs, (*floatValue)(p), name, env, usage)
	return p
}

// Duration defines a time.Duration flag ("90s", "2m") with an environment fallback.
func Duration(fs *flag.FlagSet, name, env string, def time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	*p = def
	define(fs, (*durationValue)(p), name, env, usage)
	return p
}

// Bool defines a bool flag with an environment fallback (values accepted by
// strconv.ParseBool).
func Bool(fs *flag.FlagSet, name, env string, def bool, usage string) *bool {
	p := new(bool)
	*p = def
	define(fs, (*boolValue)(p), name, env, usage)
	return p
}

// Size defines a byte-size flag with an environment fallback. Values are a
// plain number of bytes or a number with a unit: B, KB, MB, GB (powers of
// 1000) or KiB, MiB, GiB (powers of 1024), e.g. "1MiB" or "512KiB".
func Size(fs *flag.FlagSet, name, env string, def int64, usage string) *int64 {
	p := new(int64)
	*p = def
	define(fs, (*sizeValue)(p), name, env, usage)
	return p
}

// Secret defines a secret string flag. Besides "-name" and env, the value can
// come from the file named by "-name-file" or by the variable env+"_FILE"
// (trailing newlines are removed). Precedence: -name, -name-file, env,
// env_FILE. Secrets have no default and their values never appear in usage
// text or errors.
func Secret(fs *flag.FlagSet, name, env, usage string) *string {
	p := new(string)
	u := usage
	if env != "" {
		u += " (env " + env + ")"
	}
	fs.Var(&envValue{Value: (*secretValue)(p), env: env, isSecret: true}, name, u)
	fu := "file holding " + name
	fileEnv := ""
	if env != "" {
		fileEnv = env + "_FILE"
		fu += " (env " + fileEnv + ")"
	}
	fs.Var(&envValue{Value: new(stringValue), env: fileEnv, fileOf: name}, name+"-file", fu)
	return p
}

// Parse parses args with fs, then fills every flag not given on the command
// line from its environment variable (looked up with lookup; nil means no
// environment), and reads secrets from their files. Errors name the flag or
// variable but never a secret's value.
func Parse(fs *flag.FlagSet, args []string, lookup LookupFunc) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var errs []error
	// First pass: plain flags and direct secrets from the environment.
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := f.Value.(*envValue)
		if !ok || v.fileOf != "" || set[f.Name] || v.env == "" {
			return
		}
		// A secret given as a file flag beats the environment.
		if v.isSecret && set[f.Name+"-file"] {
			return
		}
		s, ok := lookup(v.env)
		if !ok {
			return
		}
		if err := v.Value.Set(s); err != nil {
			errs = append(errs, fmt.Errorf("config: %s=%s: %w", v.env, shown(v, s), err))
			return
		}
		set[f.Name] = true
	})
	// Second pass: secrets from files (-name-file, then ENV_FILE).
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := f.Value.(*envValue)
		if !ok || v.fileOf == "" {
			return
		}
		target := fs.Lookup(v.fileOf)
		path, from := "", ""
		switch {
		case set[v.fileOf]:
			return
		case set[f.Name]:
			path, from = v.Value.String(), "-"+f.Name
		case v.env != "":
			p, ok := lookup(v.env)
			if !ok {
				return
			}
			path, from = p, v.env
		}
		if path == "" {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: %s: read secret file: %w", from, err))
			return
		}
		_ = target.Value.Set(strings.TrimRight(string(b), "\r\n"))
	})
	return errors.Join(errs...)
}

func shown(v *envValue, s string) string {
	if v.isSecret {
		return "<redacted>"
	}
	return strconv.Quote(s)
}

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string     { return string(*s) }

type secretValue string

func (s *secretValue) Set(v string) error { *s = secretValue(v); return nil }

// String hides the value so that flag.PrintDefaults never prints a secret.
func (s *secretValue) String() string { return "" }

type intValue int

func (i *intValue) Set(v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 0, strconv.IntSize)
	if err != nil {
		return errors.New("not an integer")
	}
	*i = intValue(n)
	return nil
}
func (i *intValue) String() string { return strconv.Itoa(int(*i)) }

type floatValue float64

func (f *floatValue) Set(v string) error {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return errors.New("not a number")
	}
	*f = floatValue(n)
	return nil
}
func (f *floatValue) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 64) }

type durationValue time.Duration

func (d *durationValue) Set(v string) error {
	n, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return errors.New("not a duration (e.g. 90s, 2m)")
	}
	*d = durationValue(n)
	return nil
}
func (d *durationValue) String() string { return time.Duration(*d).String() }

type boolValue bool

func (b *boolValue) Set(v string) error {
	n, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return errors.New("not a boolean")
	}
	*b = boolValue(n)
	return nil
}
func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }

type sizeValue int64

func (s *sizeValue) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = sizeValue(n)
	return nil
}
func (s *sizeValue) String() string { return strconv.FormatInt(int64(*s), 10) }

// ParseSize parses a byte size: a plain number of bytes, or a number followed
// by B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024); units
// are case-insensitive. Negative sizes are rejected.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	mult := int64(1)
	switch strings.ToLower(strings.TrimSpace(t[i:])) {
	case "", "b":
	case "kb", "k":
		mult = 1000
	case "mb", "m":
		mult = 1000 * 1000
	case "gb", "g":
		mult = 1000 * 1000 * 1000
	case "kib", "ki":
		mult = 1 << 10
	case "mib", "mi":
		mult = 1 << 20
	case "gib", "gi":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("size %q: unknown unit %q", s, t[i:])
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n * mult, nil
}
