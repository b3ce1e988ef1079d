package model

import (
	"os"
	"testing"
)

func FuzzParseSpec(f *testing.F) {
	if b, err := os.ReadFile("../models/camvid-so/model.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("name: x\nclasses: [a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ParseSpec("model.yaml", data); err == nil {
			if err := s.Validate(); err != nil {
				t.Fatalf("ParseSpec accepted an invalid spec: %v", err)
			}
		}
	})
}
