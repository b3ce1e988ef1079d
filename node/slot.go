package node

import (
	"context"
	"sync"
)

// Slot holds at most one pending item: Offer replaces an item not yet
// taken (counting it as dropped) and never blocks, so a slow consumer
// always gets the newest frame and the transport never waits.
type Slot[T any] struct {
	mu      sync.Mutex
	pending *T
	dropped uint64
	ready   chan struct{}
}

// NewSlot returns an empty slot.
func NewSlot[T any]() *Slot[T] {
	return &Slot[T]{ready: make(chan struct{}, 1)}
}

// Offer stores v, dropping any item still pending. It reports whether one
// was dropped.
func (s *Slot[T]) Offer(v T) bool {
	s.mu.Lock()
	dropped := s.pending != nil
	if dropped {
		s.dropped++
	}
	s.pending = &v
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return dropped
}

// Take waits for an item or for ctx to end.
func (s *Slot[T]) Take(ctx context.Context) (T, error) {
	for {
		s.mu.Lock()
		if p := s.pending; p != nil {
			s.pending = nil
			s.mu.Unlock()
			return *p, nil
		}
		s.mu.Unlock()
		select {
		case <-s.ready:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

// Dropped is the number of items replaced before they were taken.
func (s *Slot[T]) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// TryTake takes the pending item, if there is one, without waiting.
func (s *Slot[T]) TryTake() (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pending; p != nil {
		s.pending = nil
		return *p, true
	}
	var zero T
	return zero, false
}

// Pending reports whether an item waits to be taken.
func (s *Slot[T]) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending != nil
}
