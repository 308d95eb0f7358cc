// Command promserver is a small HTTP server exporting Prometheus metrics via
// client_golang, in the shape of a typical containerised Go service. It gives
// goaudit's size-attribution tests a binary with real third-party modules
// (recorded with h1: sums in buildinfo).
//
// With -once it serves for a moment, scrapes its own /metrics once, prints the
// result size and exits, so tests can run it without leaving a process behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var ticks = prometheus.NewCounterVec(
	prometheus.CounterOpts{
		Name: "promserver_ticks_total",
		Help: "Ticks of the internal timer, by kind.",
	},
	[]string{"kind"},
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9108", "listen address")
	once := flag.Bool("once", false, "scrape /metrics once and exit")
	interval := flag.Duration("interval", time.Second, "tick interval")
	flag.Parse()

	reg := prometheus.NewRegistry()
	reg.MustRegister(ticks)

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))

	listenAddr := *addr
	if *once {
		// An ephemeral port lets parallel test runs coexist.
		listenAddr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("serve: %v", err)
		}
	}()

	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	go func() {
		for range ticker.C {
			ticks.WithLabelValues("timer").Inc()
		}
	}()

	if !*once {
		select {}
	}

	ticks.WithLabelValues("once").Inc()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		log.Fatalf("scrape: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		log.Fatalf("read: %v", err)
	}
	fmt.Printf("scraped %d bytes from /metrics (status %d)\n", len(body), resp.StatusCode)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		os.Exit(1)
	}
}
