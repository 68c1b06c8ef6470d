// Package browser drives the tagtog emulator's web page in a real headless
// Chromium, against the whole stack started in one process: a text uploaded
// through the page's form goes out as a GUI webhook, through JetStream to the
// annotation pipeline, and comes back as highlighted entities on the
// document's page; saving that page fires a GUI "updated" webhook.
//
// The test skips when no Chromium binary is found. scripts/browser-test.sh
// installs Debian's chromium when it is missing and runs the test.
package browser

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var (
	chromiumFlag   = flag.String("chromium", "", "Chromium binary (default: the first of chromium, chromium-browser, google-chrome-stable, google-chrome on PATH)")
	screenshotFlag = flag.String("screenshot", "", "where to write the page's screenshot (default: artifacts/browser/emulator-page.png at the repository root)")
)

// findChromium returns the browser binary to drive, or "" when there is none.
func findChromium() string {
	if *chromiumFlag != "" {
		if p, err := exec.LookPath(*chromiumFlag); err == nil {
			return p
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotPath is where the test writes its screenshot.
func screenshotPath(tb testing.TB) string {
	tb.Helper()
	if *screenshotFlag != "" {
		return *screenshotFlag
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(root, "artifacts", "browser", "emulator-page.png")
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// context for one tab. The browser's own output goes to the test log when
// the test fails.
func newBrowser(tb testing.TB, bin string) context.Context {
	tb.Helper()
	out := &lockedBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(tb.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	tb.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
		if tb.Failed() {
			tb.Logf("chromium output:\n%s", out.String())
		}
	})
	// Start the browser now, so that a failure to start is reported as such.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start %s: %v\n%s", bin, err, out.String())
	}
	return ctx
}

// mark is one highlighted entity as the page shows it.
type mark struct {
	Text       string `json:"text"`
	Title      string `json:"title"`
	Background string `json:"bg"`
}

// legendEntry is one entity type of the page's legend.
type legendEntry struct {
	Text       string `json:"text"`
	Background string `json:"bg"`
}

// readMarks reads the highlighted entities of the document page from the DOM,
// with their computed background colours, and the legend.
func readMarks(tb testing.TB, ctx context.Context) ([]mark, []legendEntry) {
	tb.Helper()
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[[]mark](`Array.from(document.querySelectorAll("pre.part mark"), m =>
		({text: m.textContent, title: m.title, bg: getComputedStyle(m).backgroundColor}))`))
	if err != nil {
		tb.Fatalf("read marks: %v", err)
	}
	legend, err := chromedp.Run(ctx, chromedp.Evaluate[[]legendEntry](`Array.from(document.querySelectorAll(".legend span"), s =>
		({text: s.textContent, bg: getComputedStyle(s).backgroundColor}))`))
	if err != nil {
		tb.Fatalf("read legend: %v", err)
	}
	return marks, legend
}

// entity is a highlighted span and the name of its type.
type entity struct{ text, typ string }

// checkHighlights checks that the page highlights exactly want, in order,
// each with its type's name (from the mark's title, "e_N NAME") and the
// background colour the legend gives that type.
func checkHighlights(tb testing.TB, ctx context.Context, want []entity) {
	tb.Helper()
	marks, legend := readMarks(tb, ctx)
	colors := map[string]string{} // "e_N NAME" -> background
	for _, l := range legend {
		colors[l.Text] = l.Background
	}
	if len(colors) != 3 {
		tb.Errorf("legend %+v, want 3 entity types", legend)
	}
	var got []entity
	for _, m := range marks {
		classID, name, ok := strings.Cut(m.Title, " ")
		if !ok || !strings.HasPrefix(classID, "e_") {
			tb.Errorf("mark %q has title %q, want \"e_N NAME\"", m.Text, m.Title)
		}
		got = append(got, entity{m.Text, name})
		if bg, ok := colors[m.Title]; !ok || bg != m.Background {
			tb.Errorf("mark %q (%s) has background %s, legend has %q", m.Text, m.Title, m.Background, bg)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		tb.Fatalf("highlighted entities %v, want %v", got, want)
	}
}

func TestEmulatorPageUploadAnnotateSave(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		t.Skip("no Chromium binary found (-chromium flag, or chromium, chromium-browser, google-chrome-stable, google-chrome on PATH): " +
			"skipping the browser test; scripts/browser-test.sh installs Debian's chromium and runs it")
	}
	const text = "Paypal Holdings Inc (PYPL) President and CEO Daniel Schulman Sold $2.7 million of Shares."
	want := []entity{{"Paypal Holdings Inc", "ORG"}, {"Daniel Schulman", "PERSON"}, {"$2.7 million", "MONEY"}}

	s := startStack(t)
	ctx := newBrowser(t, bin)

	// The index page: one project, selected, with no documents yet.
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(s.EmuURL+"/"))
	if err != nil {
		t.Fatalf("open index: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("index answered %d", resp.Status)
	}
	h2, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h2")))
	if err != nil || h2 != owner+"/"+project {
		t.Fatalf("project heading %q (%v), want %s/%s", h2, err, owner, project)
	}

	// Upload the text through the form, as a person would.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`input[name="filename"]`), "pypl-insider"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="text"]`), text),
	); err != nil {
		t.Fatalf("fill upload form: %v", err)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/-emulator/ui/upload"] button`)))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("upload landed on a %d page", resp.Status)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	id := u.Query().Get("id")
	if u.Path != "/-emulator/ui/doc" || !strings.HasSuffix(id, "-pypl-insider.txt") {
		t.Fatalf("after upload the browser is at %s, want the new document's page", loc)
	}
	d, err := s.Emu.Document(owner, project, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Text != text || d.Filename != "pypl-insider.txt" {
		t.Fatalf("stored document %q named %q, want the uploaded text as pypl-insider.txt", d.Text, d.Filename)
	}

	// The GUI import fired a created webhook; the worker annotates and pushes.
	s.WaitPushes(t, id, 1)

	// Open the document from the list.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.EmuURL+"/")); err != nil {
		t.Fatalf("open index: %v", err)
	}
	row, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table tr td"), td => td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(row) != 4 || row[0] != id || row[1] != "pool" || row[2] != "3" {
		t.Fatalf("document list %q, want one row: %s, pool, 3 entities", row, id)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`table td a`)))
	if err != nil {
		t.Fatalf("open document: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("document page answered %d", resp.Status)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || h1 != "pypl-insider.txt" {
		t.Fatalf("document heading %q (%v)", h1, err)
	}
	info, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1 + p small")))
	if err != nil {
		t.Fatal(err)
	}
	if want := id + " · member master · pushes 1, saves in the editor 0"; !strings.HasSuffix(info, want) {
		t.Errorf("document info %q, want it to end in %q", info, want)
	}
	checkHighlights(t, ctx, want)

	// Save, as in the web editor: a GUI "updated" webhook.
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/-emulator/ui/save"] button`)))
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("save landed on a %d page", resp.Status)
	}
	// The page counts the worker's push and this save apart.
	info, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1 + p small")))
	if err != nil {
		t.Fatal(err)
	}
	if want := " · pushes 1, saves in the editor 1"; !strings.HasSuffix(info, want) {
		t.Errorf("document info %q, want it to end in %q", info, want)
	}
	checkHighlights(t, ctx, want)

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
	}
	shot := screenshotPath(t)
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)

	if n := s.Emu.Stats().GUISaves; n != 1 {
		t.Errorf("GUI saves %d, want 1", n)
	}
	// Three webhooks: the upload (created, GUI), the worker's push
	// (updated, API) and the save (updated, GUI); the ingest handler
	// accepted and stored each, and only the created one was annotated.
	st := s.WaitDrained(t, 3)
	wantHooks := []string{
		"created GUI " + id + " Accepted",
		"updated API " + id + " Accepted",
		"updated GUI " + id + " Accepted",
	}
	if got := s.hooks.deliveries(); fmt.Sprint(got) != fmt.Sprint(wantHooks) {
		t.Errorf("webhooks %q, want %q", got, wantHooks)
	}
	if st.Stream.Msgs != 3 || st.DLQ.Msgs != 0 {
		t.Errorf("stream holds %d events and %d dead letters, want 3 and 0", st.Stream.Msgs, st.DLQ.Msgs)
	}
	if d := s.WaitPushes(t, id, 1); d.Pushes != 1 || d.Updates != 2 {
		t.Errorf("document pushed %d times, updated %d, want 1 and 2", d.Pushes, d.Updates)
	}
}

// lockedBuffer collects the browser's output, written from its own goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
