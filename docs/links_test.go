package docs

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// root is the repository root, seen from this package's directory.
const root = ".."

// outside are the names of documents that live outside the repository;
// the project's files never point at them (the repository carries its own
// contract in docs/api.md and the OpenAPI file). They are written in parts
// so that this file does not mention them either.
var outside = []string{".." + "/shared", "shared/" + "A" + "PI.md", "DESIGN" + ".md", "A" + "PI.md"}

// TestMarkdownLinks checks every Markdown file of the repository: every
// relative link and image target exists among the repository's files, every
// #anchor is a heading of the file it points into, and nothing points at a
// document outside the repository.
func TestMarkdownLinks(t *testing.T) {
	files := repoFiles(t)
	var docs []string
	for f := range files {
		if strings.HasSuffix(f, ".md") {
			docs = append(docs, f)
		}
	}
	slices.Sort(docs)
	if !slices.Contains(docs, "README.md") || !slices.Contains(docs, "docs/README.md") {
		t.Fatalf("README.md and docs/README.md not among the Markdown files found: %v", docs)
	}
	parsed := map[string]*markdown{}
	for _, f := range docs {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		parsed[f] = parseMarkdown(data)
	}
	checked := 0
	for _, f := range docs {
		md := parsed[f]
		for _, l := range md.links {
			problem := checkLink(f, l.target, files, parsed)
			if problem != "" {
				t.Errorf("%s:%d: link %q: %s", f, l.line, l.target, problem)
			}
			checked++
		}
	}
	t.Logf("%d links checked in %d Markdown files", checked, len(docs))
	if checked < 50 {
		t.Errorf("only %d links checked in %d files: the parser misses links", checked, len(docs))
	}
}

// TestNothingPointsOutside fails on any mention of a document outside the
// repository in the repository's text files: Markdown, Go, YAML, scripts.
func TestNothingPointsOutside(t *testing.T) {
	n := 0
	for f := range repoFiles(t) {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil || bytes.IndexByte(data, 0) >= 0 {
			continue // a directory entry that went away, or a binary file
		}
		n++
		for i, line := range strings.Split(string(data), "\n") {
			for _, name := range outside {
				// ../shared/fixtures is where the tests find the provider
				// payloads; only documents are out of bounds.
				if strings.Contains(strings.ReplaceAll(line, "shared/fixtures", ""), name) {
					t.Errorf("%s:%d mentions %q, which is outside the repository: %s", f, i+1, name, strings.TrimSpace(line))
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d text files read: the file list is broken", n)
	}
}

// TestParseMarkdown pins the parser on the shapes the repository's files use.
func TestParseMarkdown(t *testing.T) {
	src := "# Switchboard: the door\n" +
		"See [the API](docs/api.md#errors) and ![shot](.docs/a.png \"title\").\n" +
		"A `[not a link](x.md)` and <img src=\"b.png\" alt=\"\"> and [site](https://example.com).\n" +
		"```sh\n[also not](y.md)\n# not a heading\n```\n" +
		"## Timers — and `request:escalate` (µs)\n" +
		"## Timers — and `request:escalate` (µs)\n" +
		"### [Linked](z.md) heading\n" +
		"[ref]: docs/ref.md\n" +
		"  ~~~\n  [fenced](w.md)\n  ~~~\n"
	md := parseMarkdown([]byte(src))
	var targets []string
	for _, l := range md.links {
		targets = append(targets, l.target)
	}
	wantTargets := []string{"docs/api.md#errors", ".docs/a.png", "https://example.com", "b.png", "z.md", "docs/ref.md"}
	if !slices.Equal(targets, wantTargets) {
		t.Errorf("links %q, want %q", targets, wantTargets)
	}
	wantAnchors := []string{"switchboard-the-door", "timers--and-requestescalate-µs", "timers--and-requestescalate-µs-1", "linked-heading"}
	for _, a := range wantAnchors {
		if !md.anchors[a] {
			t.Errorf("anchor %q missing; have %v", a, md.anchors)
		}
	}
	if len(md.anchors) != len(wantAnchors) {
		t.Errorf("anchors %v, want exactly %q", md.anchors, wantAnchors)
	}
}

// repoFiles lists the repository's files as slash paths from its root:
// what git tracks or would track (not ignored) when git is there, else every file under the root except
// .git, node_modules and local data.
func repoFiles(t *testing.T) map[string]bool {
	t.Helper()
	files := map[string]bool{}
	if out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output(); err == nil && len(out) > 0 {
		for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(f))); err == nil {
				files[f] = true // deleted in the work tree but not yet in the index: gone
			}
		}
		return files
	}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (e.Name() == ".git" || e.Name() == "node_modules" || p == filepath.Join(root, "data")) {
			return filepath.SkipDir
		}
		if !e.IsDir() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// checkLink says what is wrong with one link target of file from, or "".
func checkLink(from, target string, files map[string]bool, parsed map[string]*markdown) string {
	if target == "" {
		return "empty target"
	}
	if u, err := url.Parse(target); err == nil && (u.Scheme != "" || u.Host != "") {
		return "" // an absolute URL: not the repository's to check
	}
	file, frag, _ := strings.Cut(target, "#")
	file, _, _ = strings.Cut(file, "?")
	file, err := url.PathUnescape(file)
	if err != nil {
		return "not a valid path: " + err.Error()
	}
	var p string
	switch {
	case file == "":
		p = from
	case strings.HasPrefix(file, "/"): // repository-root relative, as on GitHub
		p = path.Clean(strings.TrimPrefix(file, "/"))
	default:
		p = path.Join(path.Dir(from), file)
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "points outside the repository"
	}
	if !files[p] && !isDir(p, files) {
		return fmt.Sprintf("%s is not a file of the repository", p)
	}
	if frag == "" {
		return ""
	}
	md, ok := parsed[p]
	if !ok {
		return "" // an anchor into a non-Markdown file (a line, say): not checked
	}
	if !md.anchors[frag] {
		return fmt.Sprintf("no heading in %s has the anchor #%s", p, frag)
	}
	return ""
}

// isDir reports whether some repository file lies under dir.
func isDir(dir string, files map[string]bool) bool {
	if dir == "." {
		return true
	}
	for f := range files {
		if strings.HasPrefix(f, strings.TrimSuffix(dir, "/")+"/") {
			return true
		}
	}
	return false
}

// markdown is what the test needs of one file: its link targets and the
// anchors its headings get.
type markdown struct {
	links   []link
	anchors map[string]bool
}

type link struct {
	line   int
	target string
}

var (
	fence      = regexp.MustCompile("^\\s*(```|~~~)")
	heading    = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	inlineLink = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	refDef     = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	htmlRef    = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`)
	htmlAnchor = regexp.MustCompile(`(?i)<a\s[^>]*\b(?:name|id)\s*=\s*"([^"]+)"`)
	htmlTag    = regexp.MustCompile(`<[^>]+>`)
)

// parseMarkdown finds links (inline, reference definitions, HTML src and
// href) and heading anchors outside code blocks and code spans. Anchors
// follow GitHub's rule: the heading's text, lower-cased, with everything
// but letters, digits, marks, '_', '-' and spaces dropped and spaces made
// '-'; a repeated anchor gets -1, -2, ….
func parseMarkdown(src []byte) *markdown {
	md := &markdown{anchors: map[string]bool{}}
	seen := map[string]int{}
	inFence, marker := false, ""
	for i, line := range strings.Split(string(src), "\n") {
		if m := fence.FindStringSubmatch(line); m != nil {
			switch {
			case !inFence:
				inFence, marker = true, m[1]
			case m[1] == marker:
				inFence = false
			}
			continue
		}
		if inFence {
			continue
		}
		text := stripCodeSpans(line)
		if m := heading.FindStringSubmatch(line); m != nil {
			a := anchor(m[1])
			if n, dup := seen[a]; dup {
				seen[a] = n + 1
				a = fmt.Sprintf("%s-%d", a, n+1)
			} else {
				seen[a] = 0
			}
			md.anchors[a] = true
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(text, -1) {
			md.anchors[m[1]] = true
		}
		add := func(target string) { md.links = append(md.links, link{i + 1, target}) }
		for _, m := range inlineLink.FindAllStringSubmatch(text, -1) {
			add(m[1])
		}
		if m := refDef.FindStringSubmatch(text); m != nil {
			add(m[1])
		}
		for _, m := range htmlRef.FindAllStringSubmatch(text, -1) {
			add(m[1])
		}
	}
	return md
}

// anchor is the id GitHub gives a heading with this Markdown text.
func anchor(h string) string {
	h = inlineLink.ReplaceAllStringFunc(h, func(l string) string { // [text](url) → text
		return l[strings.Index(l, "[")+1 : strings.LastIndex(l, "](")]
	})
	h = htmlTag.ReplaceAllString(h, "")
	h = strings.NewReplacer("`", "", "*", "").Replace(h)
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.Is(unicode.Pc, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripCodeSpans blanks `code spans` (any number of backticks) so that
// what they show is not taken for links.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 1
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		tick := strings.Repeat("`", n)
		end := strings.Index(line[i+n:], tick)
		if end < 0 { // no closing run: literal backticks
			b.WriteString(tick)
			i += n
			continue
		}
		i += n + end + n
	}
	return b.String()
}
