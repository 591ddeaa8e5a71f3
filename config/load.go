package config

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml
var stageFiles embed.FS

// Dir is the folder the stage files live in, as error messages name it.
const Dir = "config"

// Load reads config/<stage>.yaml (and the files it extends), applies
// defaults and validates the result. Its errors are one line naming the
// file, the key and the bad value.
func Load(stage string) (*Stage, error) {
	return LoadFS(stageFiles, Dir, stage)
}

// LoadFS is Load over the stage files in fsys; dir is the folder named in
// error messages.
func LoadFS(fsys fs.FS, dir, stage string) (*Stage, error) {
	s, err := loadFS(fsys, dir, stage)
	if err != nil && strings.ContainsAny(err.Error(), "\r\n") {
		// Messages quote values, but keys are shown as written and a
		// quoted YAML key may hold a line break: keep errors on one line.
		return nil, errors.New(lineBreaks.Replace(err.Error()))
	}
	return s, err
}

var lineBreaks = strings.NewReplacer("\r", `\r`, "\n", `\n`)

func loadFS(fsys fs.FS, dir, stage string) (*Stage, error) {
	if !stageName.MatchString(stage) {
		return nil, fmt.Errorf("stage name %q must be lower-case letters, digits and dashes, starting with a letter, at most 16 characters", stage)
	}
	l := &loader{fsys: fsys, dir: dir, origins: map[string]origin{}}
	s := &Stage{}
	if err := l.load(stage, s); err != nil {
		return nil, err
	}
	s.Name = stage
	if err := l.applyDefaults(s); err != nil {
		return nil, err
	}
	v := &validator{origins: l.origins, file: l.file(stage)}
	v.stage(s)
	if v.err != nil {
		return nil, v.err
	}
	return s, nil
}

// Stages lists the stage names that have a file in config/.
func Stages() []string {
	names, _ := fs.Glob(stageFiles, "*.yaml")
	for i, n := range names {
		names[i] = strings.TrimSuffix(n, ".yaml")
	}
	return names
}

var stageName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,15}$`)

// origin is where a key was set: the file and line of its last setting.
// Line 0 is the file as a whole.
type origin struct {
	file string
	line int
}

func (o origin) String() string {
	if o.line == 0 {
		return o.file
	}
	return fmt.Sprintf("%s:%d", o.file, o.line)
}

type loader struct {
	fsys    fs.FS
	dir     string
	chain   []string
	origins map[string]origin // dotted key path → where it was last set
}

func (l *loader) file(stage string) string { return path.Join(l.dir, stage+".yaml") }

// load decodes the stage file onto s after the file it extends, so that a
// key set here overrides the parent's and everything else is inherited.
func (l *loader) load(stage string, s *Stage) error {
	file := l.file(stage)
	if slices.Contains(l.chain, stage) {
		return fmt.Errorf("%s: extends cycle: %s", file, strings.Join(append(l.chain, stage), " → "))
	}
	l.chain = append(l.chain, stage)
	data, err := fs.ReadFile(l.fsys, stage+".yaml")
	if errors.Is(err, fs.ErrNotExist) {
		avail, _ := fs.Glob(l.fsys, "*.yaml")
		return fmt.Errorf("%s: no such stage file (stage files: %s)", file, strings.Join(avail, ", "))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := lineMsg.FindStringSubmatch(msg); m != nil {
			return fmt.Errorf("%s:%s: %s", file, m[1], m[2])
		}
		return fmt.Errorf("%s: %s", file, msg)
	}
	if len(doc.Content) == 0 {
		return fmt.Errorf("%s: file is empty", file)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: the file must be a mapping of keys to values", file, root.Line)
	}
	lines := map[int]string{}
	set := map[string]origin{}
	walk(root, "", func(key string, k, v *yaml.Node) {
		set[key] = origin{file, k.Line}
		if _, ok := lines[k.Line]; !ok {
			lines[k.Line] = key
		}
		if _, ok := lines[v.Line]; !ok {
			lines[v.Line] = key
		}
	})
	// A key written twice is refused before extends is followed: a second
	// extends would otherwise read as a cycle.
	var top map[string]yaml.Node
	if err := root.Decode(&top); err != nil {
		return decodeError(file, lines, root, err)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k, v := root.Content[i], root.Content[i+1]; k.Value == "extends" {
			if v.Kind != yaml.ScalarNode || !stageName.MatchString(v.Value) {
				return fmt.Errorf("%s:%d: extends must name another stage file, got %q", file, v.Line, v.Value)
			}
			if err := l.load(v.Value, s); err != nil {
				return err
			}
		}
	}
	if err := wholeNumbers(root, reflect.TypeOf(Stage{}), "", file); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil {
		return decodeError(file, lines, root, err)
	}
	for k, o := range set {
		l.origins[k] = o
	}
	return nil
}

// walk calls fn for every key of the mapping tree under n with its dotted
// path, the keys of maps (tags, functions.each) included.
func walk(n *yaml.Node, prefix string, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		fn(key, k, v)
		walk(v, key, fn)
	}
}

// wholeNumbers refuses a number with a fraction where a whole number
// belongs, which the decoder would silently truncate ("replicas: 1.5" as
// 1). t is the Go type n decodes into; key its dotted path.
func wholeNumbers(n *yaml.Node, t reflect.Type, key, file string) error {
	child := func(k string) string {
		if key == "" {
			return k
		}
		return key + "." + k
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			vt := t
			if t.Kind() == reflect.Map {
				vt = t.Elem()
			} else if f, ok := fieldByKey(t, k.Value); ok {
				vt = f.Type
			} else {
				continue // the decoder reports the unknown key
			}
			if err := wholeNumbers(v, vt, child(k.Value), file); err != nil {
				return err
			}
		}
	case reflect.Slice:
		for _, item := range n.Content {
			if err := wholeNumbers(item, t.Elem(), key, file); err != nil {
				return err
			}
		}
	case reflect.Int:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!float" {
			return fmt.Errorf("%s:%d: %s must be a whole number, got %q", file, n.Line, key, n.Value)
		}
	}
	return nil
}

var (
	lineMsg      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type`)
	cannotDecode = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
)

// decodeError turns the decoder's first complaint into one line that names
// the file, the line, the key and the bad value.
func decodeError(file string, lines map[int]string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	m := lineMsg.FindStringSubmatch(te.Errors[0])
	if m == nil {
		return fmt.Errorf("%s: %s", file, te.Errors[0])
	}
	line, _ := strconv.Atoi(m[1])
	key := lines[line]
	where := fmt.Sprintf("%s:%d", file, line)
	if u := unknownField.FindStringSubmatch(m[2]); u != nil {
		parent, _ := splitKey(key)
		valid := keysOf(reflect.TypeOf(Stage{}), parent)
		in := "at the top level"
		if parent != "" {
			in = "in " + parent
		}
		return fmt.Errorf("%s: unknown key %q (keys %s: %s)", where, key, in, strings.Join(valid, ", "))
	}
	if c := cannotDecode.FindStringSubmatch(m[2]); c != nil {
		got := c[2]
		if got == "" {
			got = map[string]string{"seq": "a list", "map": "a mapping"}[c[1]]
		} else {
			got = strconv.Quote(got)
		}
		return fmt.Errorf("%s: %s must be %s, got %s", where, key, describeType(c[3]), got)
	}
	return fmt.Errorf("%s: %s: %s", where, key, m[2])
}

func splitKey(key string) (parent, last string) {
	if i := strings.LastIndex(key, "."); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// describeType names a Go type the way a config author thinks of it.
func describeType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a single value"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	default:
		return "a mapping of keys to values"
	}
}

// keysOf lists the yaml keys of the struct found at the dotted path.
func keysOf(t reflect.Type, key string) []string {
	if key != "" {
		for _, name := range strings.Split(key, ".") {
			f, ok := fieldByKey(t, name)
			if !ok || f.Type.Kind() != reflect.Struct {
				return nil
			}
			t = f.Type
		}
	}
	var keys []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// applyDefaults fills every `cfg:"default=…"` field that no file set and
// reports the first `cfg:"required"` field that no file set.
func (l *loader) applyDefaults(s *Stage) error {
	return l.fill(reflect.ValueOf(s).Elem(), "", l.file(s.Name))
}

func (l *loader) fill(v reflect.Value, prefix, file string) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		if f.Type.Kind() == reflect.Struct {
			if err := l.fill(v.Field(i), key, file); err != nil {
				return err
			}
			continue
		}
		if _, set := l.origins[key]; set {
			continue
		}
		tag := f.Tag.Get("cfg")
		if tag == "required" {
			return fmt.Errorf("%s: %s is required and not set (here or in a file it extends)", file, key)
		}
		if def, ok := strings.CutPrefix(tag, "default="); ok {
			if err := setString(v.Field(i), def); err != nil {
				panic(fmt.Sprintf("config: bad default for %s: %v", key, err)) // a programming error in a tag
			}
		}
	}
	return nil
}

func setString(v reflect.Value, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(n))
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	case reflect.Slice:
		v.Set(reflect.ValueOf(strings.Split(s, ",")))
	default:
		return fmt.Errorf("unsupported kind %s", v.Kind())
	}
	return nil
}
