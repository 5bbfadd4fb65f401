package trim

import "github.com/ravenkit/raven/internal/protocol"

// keepEnds is how many frames at each end of a stack the budget keeps
// before it gives up their context lines.
const keepEnds = 10

// stackOverhead is the encoding of a stack without frames: {"frames":[]}.
const stackOverhead = len(`{"frames":[]}`)

// frameSizes returns the encoded size of each frame.
func (t *trimmer) frameSizes(frames []protocol.Frame) []int {
	sizes := make([]int, len(frames))
	for i := range frames {
		t.scratch = frames[i].AppendJSON(t.scratch[:0])
		sizes[i] = len(t.scratch)
	}
	return sizes
}

// stackItem is a stack part: set receives the shortened stack.
func (t *trimmer) stackItem(st *protocol.Stacktrace, set func(*protocol.Stacktrace)) item {
	sizes := t.frameSizes(st.Frames)
	size := stackOverhead + sum(sizes) + max(len(sizes)-1, 0)
	// the floor: both ends without their context lines
	bare := stripContext(ends(st.Frames, keepEnds))
	floor := min(size, stackOverhead+sum(t.frameSizes(bare))+len(bare))
	return item{size: size, floor: floor, shrink: func(target int) {
		frames, ok := pick(st.Frames, sizes, target)
		if !ok {
			all := stripContext(st.Frames)
			frames, _ = pick(all, t.frameSizes(all), target)
		}
		set(&protocol.Stacktrace{Frames: frames})
	}}
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

// ends returns the first and last n frames (all of them when there are
// no more than 2n).
func ends(frames []protocol.Frame, n int) []protocol.Frame {
	if len(frames) <= 2*n {
		return frames
	}
	return append(append([]protocol.Frame(nil), frames[:n]...), frames[len(frames)-n:]...)
}

// stripContext returns a copy of frames without source context lines.
func stripContext(frames []protocol.Frame) []protocol.Frame {
	out := make([]protocol.Frame, len(frames))
	for i, f := range frames {
		f.PreContext, f.ContextLine, f.PostContext = nil, "", nil
		out[i] = f
	}
	return out
}

// pick keeps frames from both ends, alternately the innermost and the
// outermost, while the stack fits target bytes; the middle ones go. ok is
// false when fewer than keepEnds frames at each end fit.
func pick(frames []protocol.Frame, sizes []int, target int) (kept []protocol.Frame, ok bool) {
	budget := target - stackOverhead
	head, tail := 0, len(frames) // frames[:head] and frames[tail:] are kept
	for head < tail {
		i := tail - 1 // the innermost and the outermost in turn
		if (head+len(frames)-tail)%2 == 1 {
			i = head
		}
		need := sizes[i] + 1
		if need > budget {
			break
		}
		budget -= need
		if i == head {
			head++
		} else {
			tail--
		}
	}
	kept = append(append(make([]protocol.Frame, 0, head+len(frames)-tail), frames[:head]...), frames[tail:]...)
	return kept, head == tail || (head >= keepEnds && len(frames)-tail >= keepEnds)
}
