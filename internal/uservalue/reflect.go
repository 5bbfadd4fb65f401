package uservalue

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ravenkit/raven/internal/protocol"
)

// The walk over values of types other than the common ones, by reflection
// (see uservalue.go for the bounds it keeps).

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	errorType         = reflect.TypeFor[error]()
	timeType          = reflect.TypeFor[time.Time]()
)

// reflectValue walks any other value. ind counts the pointers and
// interfaces followed since the last container.
func (w *Walker) reflectValue(rv reflect.Value, depth, ind int) any {
	if !rv.IsValid() {
		return nil
	}
	t := rv.Type()
	if (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) && rv.IsNil() {
		return nil
	}
	if t == timeType && rv.CanInterface() {
		return rv.Interface().(time.Time).Format(time.RFC3339Nano)
	}
	if rv.CanInterface() && t.Kind() != reflect.Interface {
		switch {
		case t.Implements(jsonMarshalerType):
			if !w.callMethods {
				return w.cut("[" + t.String() + "]")
			}
			return w.marshaled(rv.Interface().(json.Marshaler), t, depth)
		case t.Implements(textMarshalerType):
			if !w.callMethods {
				return w.cut("[" + t.String() + "]")
			}
			return w.text(rv.Interface().(encoding.TextMarshaler), t)
		case t.Implements(errorType):
			if !w.callMethods {
				return w.cut("[" + t.String() + "]")
			}
			return w.str(errorString(rv.Interface().(error)))
		}
	}
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return int64(u)
		}
		return json.Number(strconv.FormatUint(u, 10))
	case reflect.Float32:
		return plainFloat(rv.Float(), 32)
	case reflect.Float64:
		return plainFloat(rv.Float(), 64)
	case reflect.Complex64, reflect.Complex128:
		return strconv.FormatComplex(rv.Complex(), 'g', -1, t.Bits())
	case reflect.String:
		return w.str(rv.String())
	case reflect.Pointer, reflect.Interface:
		if ind >= maxIndirections {
			return w.cut(PlaceholderDepth)
		}
		if rv.Kind() == reflect.Pointer {
			p := rv.Pointer()
			if w.onPath(p, t, 0) {
				return w.cut(PlaceholderCycle)
			}
			w.push(p, t, 0)
			defer w.pop()
		}
		return w.reflectValue(rv.Elem(), depth, ind+1)
	case reflect.Map:
		return w.reflectMap(rv, depth)
	case reflect.Slice:
		if rv.IsNil() {
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(jsonMarshalerType) &&
			!reflect.PointerTo(t.Elem()).Implements(textMarshalerType) {
			// encoding/json writes []byte as base64
			b := rv.Bytes()
			if len(b) > protocol.MaxValueBytes {
				b = b[:protocol.MaxValueBytes]
			}
			return w.str(base64.StdEncoding.EncodeToString(b))
		}
		if rv.Len() > 0 {
			p := rv.Pointer()
			if w.onPath(p, t, rv.Len()) {
				return w.cut(PlaceholderCycle)
			}
			w.push(p, t, rv.Len())
			defer w.pop()
		}
		return w.reflectList(rv, depth)
	case reflect.Array:
		return w.reflectList(rv, depth)
	case reflect.Struct:
		return w.reflectStruct(rv, depth)
	}
	return w.cut("[unsupported: " + t.String() + "]")
}

func (w *Walker) reflectList(rv reflect.Value, depth int) any {
	if depth >= MaxDepth {
		return w.cut(PlaceholderDepth)
	}
	l := rv.Len()
	n := min(l, MaxBreadth)
	out := make([]any, 0, n+1)
	for i := 0; i < n; i++ {
		out = append(out, w.elem(rv.Index(i), depth+1))
	}
	if l > n {
		out = append(out, w.cut(fmt.Sprintf("[%d more items]", l-n)))
	}
	return out
}

// elem walks a member of a container, counting it against the budget.
func (w *Walker) elem(rv reflect.Value, depth int) any {
	if w.nodes <= 0 {
		return w.cut(PlaceholderSize)
	}
	w.nodes--
	if rv.Kind() == reflect.Interface && !rv.IsNil() && rv.CanInterface() {
		w.nodes++ // value counts it again
		return w.Value(rv.Elem().Interface(), depth)
	}
	return w.reflectValue(rv, depth, 0)
}

func (w *Walker) reflectMap(rv reflect.Value, depth int) any {
	if rv.IsNil() {
		return nil
	}
	if depth >= MaxDepth {
		return w.cut(PlaceholderDepth)
	}
	t := rv.Type()
	p := rv.Pointer()
	if w.onPath(p, t, 0) {
		return w.cut(PlaceholderCycle)
	}
	w.push(p, t, 0)
	defer w.pop()
	l := rv.Len()
	out := make(map[string]any, min(l, MaxBreadth+1))
	it := rv.MapRange()
	kept := 0
	for it.Next() {
		if kept == MaxBreadth {
			out[PlaceholderTruncated] = w.cut(fmt.Sprintf("%d more keys", l-kept))
			break
		}
		out[w.str(w.mapKey(it.Key()))] = w.elem(it.Value(), depth+1)
		kept++
	}
	return out
}

// mapKey names a map key as encoding/json does: strings as they are,
// integers in decimal, TextMarshaler keys by their text.
func (w *Walker) mapKey(k reflect.Value) string {
	if k.Kind() == reflect.Interface {
		if k.IsNil() {
			return "<nil>"
		}
		k = k.Elem()
	}
	if k.Kind() == reflect.String && k.Type() == reflect.TypeFor[string]() {
		return k.String()
	}
	if k.CanInterface() && k.Type().Implements(textMarshalerType) {
		if !w.callMethods {
			return w.cut("[" + k.Type().String() + "]")
		}
		if s, ok := w.text(k.Interface().(encoding.TextMarshaler), k.Type()).(string); ok {
			return s
		}
	}
	switch k.Kind() {
	case reflect.String:
		return k.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10)
	case reflect.Bool:
		return strconv.FormatBool(k.Bool())
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(k.Float(), 'g', -1, k.Type().Bits())
	}
	return w.cut("[key of type " + k.Type().String() + "]")
}

// structField is one JSON member of a struct type.
type structField struct {
	name      string
	index     []int
	omitEmpty bool
}

var structFields sync.Map // reflect.Type -> []structField

// fieldsOf lists the JSON members of struct type t, in field order, with
// embedded structs inlined (a name met first wins).
func fieldsOf(t reflect.Type) []structField {
	if f, ok := structFields.Load(t); ok {
		return f.([]structField)
	}
	var out []structField
	seen := map[string]bool{}
	var add func(t reflect.Type, index []int, level int)
	add = func(t reflect.Type, index []int, level int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct && level < maxIndirections {
				add(ft, idx, level+1)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, structField{name: name, index: idx, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
		}
	}
	add(t, nil, 0)
	structFields.Store(t, out)
	return out
}

func (w *Walker) reflectStruct(rv reflect.Value, depth int) any {
	if depth >= MaxDepth {
		return w.cut(PlaceholderDepth)
	}
	fields := fieldsOf(rv.Type())
	out := make(map[string]any, min(len(fields), MaxBreadth+1))
	kept := 0
	for _, f := range fields {
		fv, ok := fieldByIndex(rv, f.index)
		if !ok || (f.omitEmpty && isEmptyValue(fv)) {
			continue
		}
		if kept == MaxBreadth {
			out[PlaceholderTruncated] = w.cut("more fields")
			break
		}
		out[f.name] = w.elem(fv, depth+1)
		kept++
	}
	return out
}

// fieldByIndex follows index through embedded pointers; false when one is
// nil.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
