package config

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

//go:embed stage.schema.json
var committedSchema []byte

// stageSchema is the committed schema's Stage definition, compiled once,
// and the schema document, which holds the rules' messages.
var stageSchema = sync.OnceValues(func() (*jsonschema.Schema, any) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(committedSchema))
	c := jsonschema.NewCompiler()
	if err == nil {
		err = c.AddResource(schemaID, doc)
	}
	var s *jsonschema.Schema
	if err == nil {
		s, err = c.Compile(schemaID + "#/$defs/Stage")
	}
	if err != nil {
		panic("config: " + SchemaFile + ": " + err.Error()) // TestSchemaIsCurrent fails first
	}
	return s, doc
})

// schema validates s against the Stage definition of the committed schema
// and reports the complaint that comes first in the files.
func (v *validator) schema(s *Stage) {
	b, err := json.Marshal(instance(reflect.ValueOf(s).Elem(), "", v.origins, false))
	if err != nil {
		panic(err) // a Stage holds strings, numbers, lists and maps
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	sch, doc := stageSchema()
	err = sch.Validate(inst)
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		if err != nil {
			v.err = fmt.Errorf("%s: %w", v.file, err)
		}
		return
	}
	var found []problem
	for _, e := range leaves(verr) {
		found = append(found, v.problem(e, inst, doc))
	}
	first := slices.MinFunc(found, func(a, b problem) int {
		return cmp.Or(cmp.Compare(a.at.file, b.at.file), cmp.Compare(a.at.line, b.at.line), cmp.Compare(a.msg, b.msg))
	})
	v.err = fmt.Errorf("%s: %s", first.at, first.msg)
}

// instance is v, found at key, as the JSON value the schema judges: the
// keys a file set or a default fills, and all the keys of an entry of a
// map (whole), which gets no defaults.
func instance(v reflect.Value, key string, set map[string]origin, whole bool) any {
	switch v.Kind() {
	case reflect.Struct:
		obj := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name := yamlName(f)
			if name == "" {
				continue
			}
			k := join(key, name)
			if _, ok := set[k]; ok || whole || f.Type.Kind() == reflect.Struct || strings.HasPrefix(f.Tag.Get("cfg"), "default=") {
				obj[name] = instance(v.Field(i), k, set, whole)
			}
		}
		return obj
	case reflect.Map:
		obj := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			obj[it.Key().String()] = instance(it.Value(), join(key, it.Key().String()), set, true)
		}
		return obj
	case reflect.Slice:
		list := make([]any, v.Len())
		for i := range list {
			list[i] = instance(v.Index(i), key, set, whole)
		}
		return list
	}
	return v.Interface()
}

func join(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}

// leaves are the failed keywords under e; the loader reports one of them.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
		var out []*jsonschema.ValidationError
		for _, c := range e.Causes {
			out = append(out, leaves(c)...)
		}
		if len(out) > 0 {
			return out
		}
	}
	return []*jsonschema.ValidationError{e}
}

// problem is one complaint: where the key was set, and the message.
type problem struct {
	at  origin
	msg string
}

// problem words a failed keyword as the loader's other errors are worded,
// "<key> <rule>, got <value>", with the rule's message from the schema
// (the errorMessage beside the keyword) or else from the keyword.
func (v *validator) problem(e *jsonschema.ValidationError, inst, doc any) problem {
	rule := schemaAt(doc, e.SchemaURL)
	text, _ := rule["errorMessage"].(string)
	if k, ok := e.ErrorKind.(*kind.PropertyNames); ok {
		// jsonschema v6.0.3 goes on writing to the slice it gives as this
		// failure's location: find the map by the key whose schema the
		// failure names and by the name it holds instead.
		key := mapWith(inst, "", path.Base(strings.TrimSuffix(e.SchemaURL, "/propertyNames")), k.Property)
		return problem{v.where(key), fmt.Sprintf("%s key %q %s", key, k.Property, cmp.Or(text, "is not allowed"))}
	}
	key, name, got := locate(inst, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		extra := join(key, slices.Min(k.Properties))
		allowed := slices.Sorted(maps.Keys(asMap(rule["properties"])))
		return problem{v.where(extra), fmt.Sprintf("unknown key %q (keys in %s: %s)", extra, key, strings.Join(allowed, ", "))}
	case *kind.UniqueItems:
		return problem{v.where(key), fmt.Sprintf("%s lists %s twice", name, show(got.([]any)[k.Duplicates[1]]))}
	case *kind.Pattern:
		if m, ok := rule["patternErrorMessage"].(string); ok {
			text = m
		}
	case *kind.MinItems, *kind.MaxItems:
		got = len(got.([]any))
	case *kind.MinLength, *kind.MaxLength:
		got = utf8.RuneCountInString(got.(string))
	}
	return problem{v.where(key), fmt.Sprintf("%s %s, got %s", name, cmp.Or(text, describe(e.ErrorKind, rule)), show(got))}
}

// locate follows an instance location to its value and returns the dotted
// key it has in origins, the name a message gives it ("key entry 2" for an
// item of a list) and the value.
func locate(inst any, loc []string) (key, name string, value any) {
	value = inst
	for _, tok := range loc {
		switch x := value.(type) {
		case []any:
			i, _ := strconv.Atoi(tok)
			name, value = fmt.Sprintf("%s entry %d", key, i+1), x[i]
		case map[string]any:
			key, value = join(key, tok), x[tok]
			name = key
		}
	}
	return key, name, value
}

// mapWith returns the key, ending in last, of the first map under x that
// holds name.
func mapWith(x any, key, last, name string) string {
	m, ok := x.(map[string]any)
	if !ok {
		return ""
	}
	if _, ok := m[name]; ok && (key == last || strings.HasSuffix(key, "."+last)) {
		return key
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if found := mapWith(m[k], join(key, k), last, name); found != "" {
			return found
		}
	}
	return ""
}

// schemaAt is the schema object at a schema location,
// "https://…/stage.schema.json#/$defs/Cache/properties/replicas".
func schemaAt(doc any, location string) map[string]any {
	_, ptr, _ := strings.Cut(location, "#")
	at := doc
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch x := at.(type) {
		case map[string]any:
			at = x[tok]
		case []any:
			i, _ := strconv.Atoi(tok)
			at = x[i]
		}
	}
	return asMap(at)
}

func asMap(x any) map[string]any {
	m, _ := x.(map[string]any)
	return m
}

// describe words a failed keyword's rule from the schema object holding
// it, for rules that bring no message of their own.
func describe(k jsonschema.ErrorKind, rule map[string]any) string {
	bounds := func(lo, hi, unit string) string {
		switch {
		case rule[lo] != nil && rule[hi] != nil:
			return fmt.Sprintf("between %v and %v%s", rule[lo], rule[hi], unit)
		case rule[lo] != nil:
			return fmt.Sprintf("at least %v%s", rule[lo], unit)
		}
		return fmt.Sprintf("at most %v%s", rule[hi], unit)
	}
	switch k := k.(type) {
	case *kind.Minimum, *kind.Maximum:
		return "must be " + bounds("minimum", "maximum", "")
	case *kind.MinItems, *kind.MaxItems:
		return "must list " + bounds("minItems", "maxItems", " entries")
	case *kind.MinLength, *kind.MaxLength:
		return "must be " + bounds("minLength", "maxLength", " characters")
	case *kind.Enum:
		return "must be one of " + joinAny(k.Want)
	case *kind.Const:
		return fmt.Sprintf("must be %v", k.Want)
	case *kind.Pattern:
		return "must match " + k.Want
	}
	return "is refused by " + SchemaFile + " (" + strings.Join(k.KeywordPath(), "/") + ")"
}

// show formats a value as a message quotes it.
func show(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case json.Number:
		return v.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}
