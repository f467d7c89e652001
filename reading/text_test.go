package reading

import (
	"strings"
	"testing"
)

func TestPlainText(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want bool
	}{
		{"truck sent, ward 3", 100, true},
		{"سُلّمت إلى المتعهد", 100, true},
		{"two\nlines\tand a tab", 100, true},
		{strings.Repeat("ب", 10), 10, true},
		{strings.Repeat("ب", 11), 10, false},
		{"bell\a", 100, false},
		{"del\x7f", 100, false},
		{"\xff\xfe", 100, false},
	}
	for _, tt := range tests {
		if got := PlainText(tt.s, tt.max); got != tt.want {
			t.Errorf("PlainText(%q, %d) = %v, want %v", tt.s, tt.max, got, tt.want)
		}
	}
}
