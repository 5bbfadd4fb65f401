package pipeline

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSitesTakeUpToLimit(t *testing.T) {
	var s Sites
	assert.Equal(t, 3, s.Take(3, 4, 2))
	assert.Equal(t, 3, s.Take(3, 4, 2))
	assert.Equal(t, 4, s.Take(3, 4, 2), "the first slot is full: the second")
	assert.Equal(t, 4, s.Take(3, 4, 2))
	assert.Equal(t, -1, s.Take(3, 4, 2), "both slots hold their limit")
	assert.Equal(t, 5, s.Take(4, 5, 2), "a site sharing one full slot gets its other one")
	s.Give(3)
	assert.Equal(t, 3, s.Take(3, 4, 2), "a place given back can be taken again")
	s.Give(-1) // none: ignored
	assert.Equal(t, 6, s.Take(6, 6, 0), "a limit below one still lets one through")
	assert.Equal(t, -1, s.Take(6, 6, 0))
}

// capture stands for a client's capture function: SiteOf skips it and
// hashes its callers.
//
//go:noinline
func capture(err error) int { a, b := SiteOf(0, err); return a*SiteSlots + b }

//go:noinline
func siteA(err error) int { return capture(err) }

//go:noinline
func siteB(err error) int { return capture(err) }

type otherError struct{}

func (otherError) Error() string { return "other" }

// slots calls each f with each err from one call site.
func slots(fs []func(error) int, errs ...error) []int {
	var out []int
	for _, f := range fs {
		for _, err := range errs {
			out = append(out, f(err))
		}
	}
	return out
}

// The same call site and error give the same slot; another error or
// another caller usually another one (slots are a hash: compare several).
func TestSiteOfSeparatesSitesAndErrors(t *testing.T) {
	e1 := errors.New("one")
	same := slots([]func(error) int{siteA}, e1, e1, nil, nil)
	assert.Equal(t, same[0], same[1])
	assert.Equal(t, same[2], same[3])
	for _, v := range same {
		assert.Less(t, v, SiteSlots*SiteSlots)
	}
	values := slots([]func(error) int{siteA}, e1, errors.New("two"), errors.New("three"))
	assert.Equal(t, values[0], values[1], "distinct values of one type from one site are one site")
	assert.Equal(t, values[0], values[2])
	types := slots([]func(error) int{siteA}, e1, otherError{})
	assert.NotEqual(t, types[0], types[1], "another error type is another site")
	byCaller := slots([]func(error) int{siteA, siteB}, e1)
	assert.NotEqual(t, byCaller[0], byCaller[1], "distinct callers spread over the slots")
}
