package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Load reads and parses the file at path (see Parse). An empty path means
// no file: Load returns Default(). A file that cannot be read is a plain
// error; an invalid file is a *Problems.
func Load(path string) (*Config, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes the YAML in data on top of Default(), expanding ${ENV}
// references from the process environment, and validates the result.
// name is the file name used in problems. Every problem found is returned
// in one *Problems error (and a nil Config).
func Parse(data []byte, name string) (*Config, error) {
	return parse(data, name, os.LookupEnv)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parse(data []byte, name string, lookup func(string) (string, bool)) (*Config, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, asError([]Problem{syntaxProblem(name, err)})
	}
	if err == nil {
		var extra yaml.Node
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			p := Problem{File: name, Message: "the file must hold one YAML document"}
			if err != nil {
				p = syntaxProblem(name, err)
			} else {
				p.Line, p.Column = extra.Line, extra.Column
			}
			return nil, asError([]Problem{p})
		}
	}

	c := Default()
	d := newDecoder(name, lookup)
	if root := docRoot(&doc); root != nil && !isNull(root) {
		d.decode(root, reflect.ValueOf(c).Elem(), "")
	}
	if d.halted {
		return nil, asError(d.probs)
	}
	c.meta = &meta{file: name, pos: d.pos}
	c.applyDefaults()
	reported := map[string]bool{}
	for _, p := range d.probs {
		reported[p.Path] = true
	}
	probs := append(d.probs, c.problems(reported)...)
	if err := asError(probs); err != nil {
		return nil, err
	}
	return c, nil
}

// docRoot is the content of a document node (nil for an empty file).
func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0]
	}
	return nil
}

// syntaxProblem turns a yaml.v3 parse error into a Problem with its line.
func syntaxProblem(name string, err error) Problem {
	p := Problem{File: name, Message: err.Error()}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = "invalid YAML: " + m[2]
	}
	return p
}
