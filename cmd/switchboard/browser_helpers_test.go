package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Browser tests drive Debian's Chromium with chromedp. They skip when no
// Chromium is installed; `.ci/run` installs it.

var readmeScreenshots = flag.Bool("screenshots", false,
	"browser tests also write the README images .docs/screenshots/{widget,inbox}.png")

// browserWait bounds every wait for the page to reach a state. Waits end
// as soon as the state is reached; the bound is generous because a shared
// 2-core machine under load can stall a step for many seconds.
const browserWait = 25 * time.Second

// findChromium returns the browser to run: $SWITCHBOARD_CHROMIUM, else the
// first of chromium, chromium-browser, google-chrome on PATH. It skips the
// test when there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SWITCHBOARD_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("SWITCHBOARD_CHROMIUM=%q: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser tests skipped: no Chromium found; install Debian's chromium package or set SWITCHBOARD_CHROMIUM")
	return ""
}

// artifactDir is where a test writes its screenshots, emptied first:
// $SWITCHBOARD_ARTIFACTS/<test name>, else <tmp>/switchboard-artifacts/<test name>.
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SWITCHBOARD_ARTIFACTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "switchboard-artifacts")
	}
	dir := filepath.Join(base, filepath.FromSlash(t.Name()))
	if err := os.RemoveAll(dir); err != nil { // only this run's images
		t.Fatalf("artifact dir: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifact dir: %v", err)
	}
	return dir
}

// browser is one headless Chromium process for one test.
type browser struct {
	t         *testing.T
	root      context.Context // owns the process; its own tab stays blank
	artifacts string
	shots     int
	mu        sync.Mutex
}

// startBrowser launches Chromium with a fresh profile; it is closed when the
// test ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := findChromium(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		// Chromium's own temporary files (shared memory with
		// disable-dev-shm-usage) go where the test cleans up.
		chromedp.Env("TMPDIR="+t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
	)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return &browser{t: t, root: root, artifacts: artifactDir(t)}
}

// tab is one page in the browser. Tabs made by newTab have their own
// browser context (cookies, localStorage), like two different people.
type tab struct {
	t      *testing.T
	b      *browser
	name   string
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	dialogs    []string // JavaScript dialogs the page opened (each a failure)
	exceptions []string // uncaught exceptions and unhandled rejections
	console    []string // console errors and warnings, logged at the end
}

type tabOption func(*tabConfig)

type tabConfig struct {
	shareWith   *tab          // open in the browser context (storage) of another tab
	clockOffset time.Duration // shift Date.now()/new Date() in the page
}

// sameStorageAs opens the tab in other's browser context: same localStorage.
func sameStorageAs(other *tab) tabOption { return func(c *tabConfig) { c.shareWith = other } }

// clockShift makes the page's clock run d ahead of the real one.
func clockShift(d time.Duration) tabOption { return func(c *tabConfig) { c.clockOffset = d } }

// clockShiftJS replaces Date so that now() and new Date() are offset; dates
// built from explicit values are unchanged.
const clockShiftJS = `(() => {
  const offset = %d;
  const RealDate = Date;
  function ShiftedDate(...args) {
    if (!new.target) return new RealDate(RealDate.now() + offset).toString();
    return args.length === 0 ? new RealDate(RealDate.now() + offset) : new RealDate(...args);
  }
  ShiftedDate.prototype = RealDate.prototype;
  ShiftedDate.now = () => RealDate.now() + offset;
  ShiftedDate.parse = RealDate.parse;
  ShiftedDate.UTC = RealDate.UTC;
  globalThis.Date = ShiftedDate;
})();`

// newTab opens a tab at 1280×800 that records dialogs, exceptions and
// console errors; it is closed when the test ends.
func (b *browser) newTab(name string, opts ...tabOption) *tab {
	b.t.Helper()
	var cfg tabConfig
	for _, o := range opts {
		o(&cfg)
	}
	ctxOpt := chromedp.WithNewBrowserContext()
	if cfg.shareWith != nil {
		ctxOpt = chromedp.WithExistingBrowserContext(chromedp.FromContext(cfg.shareWith.ctx).BrowserContextID)
	}
	ctx, cancel := chromedp.NewContext(b.root, ctxOpt)
	tb := &tab{t: b.t, b: b, name: name, ctx: ctx, cancel: cancel}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		b.t.Fatalf("open tab %s: %v", name, err)
	}
	b.t.Cleanup(func() {
		cancel()
		tb.logConsole()
	})
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, fmt.Sprintf("%s(%q) on %s", ev.Type, ev.Message, ev.URL))
			tb.mu.Unlock()
			// Dismiss it, or the page stalls and every later step times out.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			line := fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
			tb.mu.Lock()
			switch {
			case m.IsException():
				tb.exceptions = append(tb.exceptions, line)
			case m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning:
				tb.console = append(tb.console, line)
			}
			tb.mu.Unlock()
		}
	}()
	steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(1280, 800)}
	if cfg.clockOffset != 0 {
		src := fmt.Sprintf(clockShiftJS, cfg.clockOffset.Milliseconds())
		steps = append(steps, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
			return err
		}))
	}
	tb.do("set up", steps...)
	return tb
}

// close closes the tab (its browser context too, unless it shares another
// tab's) after checking it stayed clean.
func (tb *tab) close() {
	tb.t.Helper()
	tb.checkClean()
	tb.cancel()
}

func (tb *tab) logConsole() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, l := range tb.console {
		tb.t.Logf("%s console %s", tb.name, l)
	}
}

// checkClean fails the test if the page opened a JavaScript dialog or threw
// an uncaught exception so far.
func (tb *tab) checkClean() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.dialogs) > 0 {
		tb.t.Errorf("%s: the page opened JavaScript dialogs (injected script ran?): %s", tb.name, strings.Join(tb.dialogs, "; "))
	}
	if len(tb.exceptions) > 0 {
		tb.t.Errorf("%s: uncaught exceptions in the page:\n  %s", tb.name, strings.Join(tb.exceptions, "\n  "))
	}
}

// do runs actions within browserWait.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fail("%s: %s: %v", tb.name, what, err)
	}
}

// navigate loads url and waits for its load event.
func (tb *tab) navigate(url string) {
	tb.t.Helper()
	tb.do("navigate to "+url, chromedp.Navigate(url))
}

// evalJS evaluates a JavaScript expression in tb's page.
func evalJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.fail("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// pollJS waits until expr is truthy (an exception counts as false) and
// returns its value. On timeout it fails with what, the last value of
// explain (an expression describing the current state) and a screenshot.
func pollJS[T any](tb *tab, what, expr, explain string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserWait+5*time.Second)
	defer cancel()
	pred := fmt.Sprintf(`(() => { try { return (%s); } catch (e) { return false; } })()`, expr)
	v, err := chromedp.Run(ctx, chromedp.Poll[T](pred,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(browserWait)))
	if err != nil {
		state := "(no explanation)"
		if explain != "" {
			sctx, scancel := context.WithTimeout(tb.ctx, 5*time.Second)
			defer scancel()
			js := fmt.Sprintf(`(() => { try { return String(%s); } catch (e) { return "explain failed: " + e; } })()`, explain)
			if s, err := chromedp.Run(sctx, chromedp.Evaluate[string](js)); err == nil {
				state = s
			}
		}
		if errors.Is(err, chromedp.ErrPollingTimeout) {
			err = fmt.Errorf("not so after %s", browserWait)
		}
		tb.fail("%s: waiting for %s: %v\n  page state: %s", tb.name, what, err, state)
	}
	return v
}

// waitJS is pollJS for a condition.
func (tb *tab) waitJS(what, expr, explain string) {
	tb.t.Helper()
	pollJS[bool](tb, what, fmt.Sprintf("!!(%s)", expr), explain)
}

// click waits until the element that elemExpr evaluates to is visible and is
// what a click at its centre would hit (not covered, not animating away),
// then clicks it with real mouse events.
func (tb *tab) click(what, elemExpr string) {
	tb.t.Helper()
	expr := fmt.Sprintf(`(() => {
  const el = %s;
  if (!el || el.hidden || el.disabled) return null;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return null;
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = el.getRootNode().elementFromPoint(x, y);
  if (!hit || !(hit === el || el.contains(hit))) return null;
  return {x, y};
})()`, elemExpr)
	at := pollJS[struct{ X, Y float64 }](tb, what+" to be clickable", expr,
		fmt.Sprintf(`(() => { const el = %s; if (!el) return "not found"; const r = el.getBoundingClientRect();
  const hit = el.getRootNode().elementFromPoint(r.left + r.width/2, r.top + r.height/2);
  return el.outerHTML.slice(0, 300) + " hidden=" + el.hidden + " disabled=" + el.disabled + " rect=" + JSON.stringify(r) +
    " hit=" + (hit ? hit.outerHTML.slice(0, 200) : null); })()`, elemExpr))
	tb.do("click "+what, chromedp.MouseClickXY(at.X, at.Y))
}

// clickUntil clicks like click, then waits for doneExpr; a click that
// landed while the page redrew (the element replaced or moved between
// finding it and the mouse event) changed nothing, so it clicks again, at
// most every 2 s, until doneExpr holds. Only for clicks whose effect shows
// at once: a second click never follows one that took effect.
func (tb *tab) clickUntil(what, elemExpr, doneExpr, explain string) {
	tb.t.Helper()
	deadline := time.Now().Add(browserWait)
	for {
		tb.click(what, elemExpr)
		ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`(() => { try { return !!(%s); } catch (e) { return false; } })()`, doneExpr),
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(2*time.Second)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.waitJS(what+" to take effect", doneExpr, explain) // fails with the page state
			return
		}
		tb.t.Logf("%s: %s changed nothing; clicking again", tb.name, what)
	}
}

// typeInto focuses the element and types text with key events; a trailing
// "\r" presses Enter.
func (tb *tab) typeInto(what, elemExpr, text string) {
	tb.t.Helper()
	tb.waitJS(what+" to be present", elemExpr, "")
	evalJS[chromedp.Void](tb, fmt.Sprintf(`(%s).focus()`, elemExpr))
	enter := strings.HasSuffix(text, "\r")
	if text = strings.TrimSuffix(text, "\r"); text != "" {
		tb.do("type into "+what, chromedp.KeyEvent(text))
	}
	if enter {
		tb.press(keyEnter)
	}
}

// fill empties a form field (with an input event, as a person deleting
// its text would) and types text into it.
func (tb *tab) fill(what, elemExpr, text string) {
	tb.t.Helper()
	tb.waitJS(what+" to be present", elemExpr, "")
	evalJS[chromedp.Void](tb, fmt.Sprintf(`((el) => { el.focus(); el.value = "";
  el.dispatchEvent(new Event("input", {bubbles: true})); })(%s)`, elemExpr))
	if text != "" {
		tb.do("type into "+what, chromedp.KeyEvent(text))
	}
}

type namedKey struct {
	key, code, text string
	vk              int64
}

var (
	keyEnter  = namedKey{"Enter", "Enter", "\r", 13}
	keyEscape = namedKey{"Escape", "Escape", "", 27}
)

// press sends one key to the focused element as a keyboard does: a keyDown
// that carries the key's text (so a page that prevents the keydown gets no
// character, unlike chromedp.KeyEvent's separate char event) and a keyUp.
func (tb *tab) press(k namedKey) {
	tb.t.Helper()
	down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: k.key, Code: k.code,
		Text: k.text, UnmodifiedText: k.text, WindowsVirtualKeyCode: k.vk, NativeVirtualKeyCode: k.vk}
	if k.text == "" {
		down.Type = input.DispatchKeyEventTypeRawKeyDown
	}
	up := down
	up.Type, up.Text, up.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
	tb.do("press "+k.key, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, ev := range []input.DispatchKeyEventParams{down, up} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, ev); err != nil {
				return fmt.Errorf("dispatch %s %s: %w", ev.Type, k.key, err)
			}
		}
		return nil
	}))
}

// fail takes a screenshot of the page and fails the test.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	msg := fmt.Sprintf(format, args...)
	tb.mu.Lock()
	for _, l := range append(append([]string(nil), tb.exceptions...), tb.console...) {
		msg += "\n  page " + l // e.g. the API answering 500 to the page
	}
	tb.mu.Unlock()
	if p, err := tb.saveShot("FAILED"); err == nil {
		msg += "\n  screenshot: " + p
	}
	tb.t.Fatal(msg)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// shot writes a PNG of the page's viewport into the artifact directory.
func (tb *tab) shot(name string) string {
	tb.t.Helper()
	p, err := tb.saveShot(name)
	if err != nil {
		tb.t.Fatalf("%s: screenshot %s: %v", tb.name, name, err)
	}
	tb.t.Logf("screenshot %s", p)
	return p
}

func (tb *tab) saveShot(name string) (string, error) {
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	data, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	tb.b.mu.Lock()
	tb.b.shots++
	n := tb.b.shots
	tb.b.mu.Unlock()
	p := filepath.Join(tb.b.artifacts, fmt.Sprintf("%02d-%s-%s.png", n, unsafeName.ReplaceAllString(tb.name, "_"), unsafeName.ReplaceAllString(name, "_")))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	return p, nil
}

// writeREADMEShot stores the page's viewport as a README image, PNG at best
// compression.
func (tb *tab) writeREADMEShot(file string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	data, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("README screenshot %s: %v", file, err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		tb.t.Fatalf("README screenshot %s: decode: %v", file, err)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		tb.t.Fatalf("README screenshot %s: encode: %v", file, err)
	}
	dir := filepath.Join("..", "..", ".docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("README screenshot %s (%d KiB)", p, buf.Len()/1024)
}

// jsq quotes s as a JavaScript string literal.
func jsq(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sb is the expression for the first element matching the CSS selector sel
// inside the widget's shadow root; sbAll for all of them (an array).
func sb(sel string) string {
	return fmt.Sprintf(`document.querySelector('#switchboard-widget').shadowRoot.querySelector(%s)`, jsq(sel))
}

func sbAll(sel string) string {
	return fmt.Sprintf(`[...document.querySelector('#switchboard-widget').shadowRoot.querySelectorAll(%s)]`, jsq(sel))
}

// tid is the expression for the first inbox element with data-testid=id
// (inside scope, an expression, when it is not ""); tidAll for all of them.
func tid(id string) string {
	return fmt.Sprintf(`document.querySelector(%s)`, jsq(`[data-testid="`+id+`"]`))
}

func tidAll(id string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)]`, jsq(`[data-testid="`+id+`"]`))
}

// TestBrowserHarness checks the tools the browser tests rely on: the clock
// shift moves Date.now() and new Date() but not explicit dates, and a
// JavaScript dialog is seen and dismissed rather than stalling the page.
func TestBrowserHarness(t *testing.T) {
	b := startBrowser(t)
	s := startServer(t, backend{name: "embedded"}, t.TempDir())

	shifted := b.newTab("shifted", clockShift(6*time.Minute))
	shifted.navigate(s.base + "/healthz")
	skew := evalJS[float64](shifted, `Date.now() - performance.timeOrigin - performance.now()`)
	if skew < 5.9*60e3 || skew > 6.1*60e3 {
		t.Errorf("Date.now() is %.0f ms ahead, want about 6 min", skew)
	}
	if d := evalJS[float64](shifted, `new Date().getTime() - Date.now()`); d < -1000 || d > 1000 {
		t.Errorf("new Date() differs from Date.now() by %.0f ms", d)
	}
	if y := evalJS[int](shifted, `new Date(Date.UTC(2020, 0, 2)).getUTCFullYear()`); y != 2020 {
		t.Errorf("explicit date shifted: year %d", y)
	}
	if ok := evalJS[bool](shifted, `new Date() instanceof Date && typeof Date() === "string"`); !ok {
		t.Error("shifted Date lost instanceof or Date() as a function")
	}

	plain := b.newTab("plain")
	plain.navigate(s.base + "/healthz")
	if skew := evalJS[float64](plain, `Date.now() - performance.timeOrigin - performance.now()`); skew > 60e3 || skew < -60e3 {
		t.Errorf("a tab without a shift is %.0f ms off", skew)
	}
	evalJS[chromedp.Void](plain, `setTimeout(() => alert("boom"), 0)`)
	plain.waitJS("the page to run on after the dialog", `document.readyState === "complete"`, "")
	deadline := time.Now().Add(browserWait)
	for {
		plain.mu.Lock()
		n := len(plain.dialogs)
		plain.mu.Unlock()
		if n == 1 || time.Now().After(deadline) {
			if n != 1 {
				t.Fatalf("dialogs seen: %d, want 1", n)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := evalJS[int](plain, `1 + 1`); got != 2 {
		t.Fatalf("page stalled after the dialog: %d", got)
	}
	plain.mu.Lock()
	plain.dialogs = nil // expected here; checkClean would report it
	plain.mu.Unlock()
	plain.shot("harness")
}
