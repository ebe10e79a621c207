package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration file.
type Problem struct {
	// File is the name the configuration was loaded from (may be empty).
	File string
	// Line and Column are 1-based; 0 means the position is unknown (the
	// value came from the defaults or the file is not valid YAML).
	Line, Column int
	// Path is the key path, such as "routing.rules[0].mode" (may be empty).
	Path string
	// Message says what is wrong.
	Message string
}

// String renders "file:line:col: path: message", leaving out the parts
// that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is the error Parse, Load and Validate return for an invalid
// configuration: every problem found, ordered by position.
type Problems struct {
	List []Problem
}

// Error joins the problems, one per line.
func (p *Problems) Error() string {
	lines := make([]string, len(p.List))
	for i, pr := range p.List {
		lines[i] = pr.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by line and column; those without a
// position come last, in the order they were found.
func sortProblems(list []Problem) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// asError returns nil for no problems and a sorted *Problems otherwise.
func asError(list []Problem) error {
	if len(list) == 0 {
		return nil
	}
	sortProblems(list)
	return &Problems{List: list}
}
