package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
)

func logged(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var entries []map[string]any
	decoder := json.NewDecoder(out)
	for decoder.More() {
		var entry map[string]any
		if err := decoder.Decode(&entry); err != nil {
			t.Fatalf("access log line is not JSON: %v", err)
		}
		entries = append(entries, entry)
	}
	return entries
}

func TestAccessLogWritesOneLinePerRequest(t *testing.T) {
	var out bytes.Buffer
	handler := accessLog(newServer(), &out)
	req := httptest.NewRequest(http.MethodGet, "/no-such-route?secret=1", nil)
	req.Header.Set(lambdaContextHeader, `{"request_id":"abc-123","deadline":0}`)
	handler.ServeHTTP(httptest.NewRecorder(), req)
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))

	entries := logged(t, &out)
	if len(entries) != 2 {
		t.Fatalf("got %d lines, want 2 (none for /healthz): %v", len(entries), entries)
	}
	first := entries[0]
	if first["method"] != "GET" || first["path"] != "/no-such-route" || first["status"] != 404.0 {
		t.Fatalf("first line = %v", first)
	}
	if first["request_id"] != "abc-123" || entries[1]["request_id"] != nil {
		t.Fatalf("request ids = %v, %v", first["request_id"], entries[1]["request_id"])
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(first["time"].(string)) {
		t.Fatalf("time = %v", first["time"])
	}
	if _, ok := first["duration_ms"].(float64); !ok {
		t.Fatalf("duration_ms = %v", first["duration_ms"])
	}
}

func TestAccessLogIgnoresAMalformedContext(t *testing.T) {
	var out bytes.Buffer
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(lambdaContextHeader, "not json")
	rec := httptest.NewRecorder()
	accessLog(newServer(), &out).ServeHTTP(rec, req)
	entries := logged(t, &out)
	if rec.Code != http.StatusOK || len(entries) != 1 || entries[0]["request_id"] != nil {
		t.Fatalf("status %d, lines %v", rec.Code, entries)
	}
}

func TestAccessLogKeepsFlushing(t *testing.T) {
	var out bytes.Buffer
	streaming := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		http.NewResponseController(w).Flush()
	})
	rec := httptest.NewRecorder()
	accessLog(streaming, &out).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !rec.Flushed {
		t.Fatal("the recorder hid Flush from the handler")
	}
	if entries := logged(t, &out); len(entries) != 1 || entries[0]["status"] != 202.0 {
		t.Fatalf("lines = %v", entries)
	}
}
