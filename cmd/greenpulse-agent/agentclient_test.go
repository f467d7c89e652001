package main

import (
	"net"
	"net/http"
	"strconv"
	"testing"
)

func TestAgentAddr(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:8081", "127.0.0.1:8081"},
		{":8081", "127.0.0.1:8081"},
		{"0.0.0.0:8081", "127.0.0.1:8081"},
		{"[::]:8081", "127.0.0.1:8081"},
		{"192.168.1.20:8081", "192.168.1.20:8081"},
		{"[::1]:8081", "[::1]:8081"},
		{"agent.local:8081", "agent.local:8081"},
		{"8081", "8081"}, // not host:port: left for the request to refuse
	}
	for _, tt := range tests {
		if got := agentAddr(tt.listen); got != tt.want {
			t.Errorf("agentAddr(%q) = %q, want %q", tt.listen, got, tt.want)
		}
	}
}

// TestPostToAgentOnEveryInterface posts to an agent whose http.listen
// leaves the host out, as one reachable from the LAN does, and to a port
// where nothing listens, which means "no agent".
func TestPostToAgentOnEveryInterface(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type") + " " + r.Header.Get("Authorization")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"ok":true}`))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	for _, listen := range []string{":" + port, "0.0.0.0:" + port} {
		reply, err := postToAgent(listen, "secret", "/api/v1/meter", map[string]int{"value": 1})
		if err != nil || reply == nil || reply.Code != http.StatusCreated || string(reply.Body) != `{"ok":true}` {
			t.Fatalf("post to %s: %+v, %v", listen, reply, err)
		}
		if req := <-got; req != "POST /api/v1/meter application/json Bearer secret" {
			t.Errorf("post to %s: the agent saw %q", listen, req)
		}
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close()
	if reply, err := postToAgent(addr, "", "/api/v1/waste", nil); reply != nil || err != nil {
		t.Errorf("post where no agent listens: %+v, %v; want nil, nil", reply, err)
	}
}
