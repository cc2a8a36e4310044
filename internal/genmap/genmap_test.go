package genmap

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMapKeepsTwoGenerations(t *testing.T) {
	m := New[int, string](3)
	for i := range 7 { // generations {0,1,2} {3,4,5} {6}: the first is dropped
		m.Add(i, "v")
	}
	assert.LessOrEqual(t, m.Len(), 2*3)
	for i := range 3 {
		_, ok := m.Get(i)
		assert.False(t, ok, "entry %d of the dropped generation", i)
	}
	for i := 3; i < 7; i++ {
		v, ok := m.Get(i)
		assert.True(t, ok, "entry %d", i)
		assert.Equal(t, "v", v)
	}
}

func TestTakeRemovesFromEitherGeneration(t *testing.T) {
	m := New[string, int](2)
	m.Add("a", 1)
	m.Add("b", 2)
	m.Add("c", 3) // a, b are now the previous generation
	for _, k := range []string{"a", "c"} {
		v, ok := m.Take(k)
		assert.True(t, ok, k)
		assert.NotZero(t, v)
		_, ok = m.Take(k)
		assert.False(t, ok, "%s is taken once", k)
		_, ok = m.Get(k)
		assert.False(t, ok, "%s is gone", k)
	}
	assert.Equal(t, 1, m.Len())
	_, ok := m.Get("missing")
	assert.False(t, ok)
}

func TestNewClampsTheCapacity(t *testing.T) {
	m := New[int, int](0)
	m.Add(1, 1)
	m.Add(2, 2)
	m.Add(3, 3)
	assert.Equal(t, 2, m.Len(), "capacity 1: one entry per generation")
}

func TestMapIsSafeForConcurrentUse(t *testing.T) {
	m := New[int, int](64)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				m.Add(g*1000+i, i)
				m.Get(i)
				m.Take(g*1000 + i - 1)
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, m.Len(), 2*64)
}
