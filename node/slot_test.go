package node

import (
	"context"
	"testing"
	"time"
)

func TestSlotKeepsNewestAndCountsDrops(t *testing.T) {
	s := NewSlot[int]()
	for i := 1; i <= 5; i++ {
		s.Offer(i)
	}
	v, err := s.Take(context.Background())
	if err != nil || v != 5 {
		t.Fatalf("took %d (%v), want the newest, 5", v, err)
	}
	if d := s.Dropped(); d != 4 {
		t.Fatalf("dropped %d, want 4", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Take(ctx); err == nil {
		t.Fatal("Take on an empty slot returned without an item")
	}
}

func TestSlotOfferNeverBlocks(t *testing.T) {
	s := NewSlot[[]byte]()
	done := make(chan struct{})
	go func() {
		for range 100000 {
			s.Offer(nil)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Offer blocked with no consumer")
	}
}
