package trim

import "github.com/ravenkit/raven/internal/protocol"

// crumbFloor is how small the budget makes one breadcrumb's message and
// data before it drops the oldest breadcrumbs instead.
const crumbFloor = 256

// listOverhead is the encoding of an empty breadcrumb list.
const listOverhead = len(`{"values":[]}`)

// crumbSizes returns the encoded size of each breadcrumb.
func (t *trimmer) crumbSizes(crumbs []protocol.Breadcrumb) []int {
	sizes := make([]int, len(crumbs))
	for i := range crumbs {
		var err error
		if t.scratch, err = crumbs[i].AppendJSON(t.scratch[:0]); err == nil {
			sizes[i] = len(t.scratch)
		}
	}
	return sizes
}

// crumbsItem is the breadcrumbs part. The largest breadcrumbs are
// shortened first (message and data), down to crumbFloor bytes of each;
// past that the oldest breadcrumbs go.
func (t *trimmer) crumbsItem() item {
	ev := t.ev
	crumbs := ev.Breadcrumbs.Values
	sizes := t.crumbSizes(crumbs)
	size := listOverhead + sum(sizes) + len(sizes) - 1
	return item{size: size, shrink: func(target int) {
		out := append([]protocol.Breadcrumb(nil), crumbs...)
		items := make([]item, len(out))
		for i := range out {
			b := &out[i]
			skeleton := sizes[i] - t.textSize(b)
			items[i] = item{size: sizes[i], floor: min(sizes[i], skeleton+crumbFloor), shrink: func(c int) {
				t.shrinkCrumb(b, sizes[i]-skeleton, c-skeleton)
			}}
		}
		if fill(items, size-target) < size-target {
			// shortened as far as they go: the oldest go
			sizes := t.crumbSizes(out)
			total := listOverhead + sum(sizes) + len(sizes) - 1
			first := 0
			for first < len(out) && total > target {
				total -= sizes[first] + 1
				first++
			}
			out = out[first:]
		}
		if len(out) == 0 {
			ev.Breadcrumbs = nil
			return
		}
		ev.Breadcrumbs = &protocol.BreadcrumbList{Values: out}
	}}
}

// textSize is the encoded size of a breadcrumb's message and data members.
func (t *trimmer) textSize(b *protocol.Breadcrumb) int {
	n := 0
	if b.Message != "" {
		n += len(`,"message":`) + protocol.JSONStringSize(b.Message)
	}
	if len(b.Data) > 0 {
		n += len(`,"data":`) + t.valueSize(b.Data, 0)
	}
	return n
}

// shrinkCrumb brings b's message and data, of size bytes together, to
// about target bytes, the larger first.
func (t *trimmer) shrinkCrumb(b *protocol.Breadcrumb, size, target int) {
	var items []item
	if b.Message != "" {
		items = append(items, stringItem(b.Message, func(s string) { b.Message = s }))
	}
	if len(b.Data) > 0 {
		items = append(items, t.mapItem(b.Data, func(m map[string]any) { b.Data = m }))
	}
	fill(items, size-max(target, 0))
}
