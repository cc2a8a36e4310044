// Package genmap is a bounded, concurrency-safe map that forgets its oldest
// entries in bulk: it keeps two generations, and when the current one is
// full it becomes the previous one and the older generation is dropped. It
// suits memos of recent work (endorsements handed out, records already
// checked) that must not grow without limit, at the price of a map lookup.
package genmap

import "sync"

// Map holds at most twice its capacity of entries. The zero value is not
// usable; call New.
type Map[K comparable, V any] struct {
	mu        sync.Mutex
	capacity  int
	cur, prev map[K]V
}

// New returns an empty Map whose generations hold capacity entries each
// (at least 1).
func New[K comparable, V any](capacity int) *Map[K, V] {
	capacity = max(capacity, 1)
	return &Map[K, V]{capacity: capacity, cur: make(map[K]V)}
}

// Add stores v under k in the current generation.
func (m *Map[K, V]) Add(k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cur) >= m.capacity {
		m.prev, m.cur = m.cur, make(map[K]V, m.capacity)
	}
	m.cur[k] = v
}

// Get returns the value stored under k, if either generation still has it.
func (m *Map[K, V]) Get(k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.cur[k]; ok {
		return v, true
	}
	v, ok := m.prev[k]
	return v, ok
}

// Take is Get that also removes the entry.
func (m *Map[K, V]) Take(k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.cur[k]; ok {
		delete(m.cur, k)
		return v, true
	}
	v, ok := m.prev[k]
	if ok {
		delete(m.prev, k)
	}
	return v, ok
}

// Len returns how many entries are held.
func (m *Map[K, V]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cur) + len(m.prev)
}
