package httpapi

import (
	"context"
	"net/http"
	"runtime"
	"time"
)

// healthPingTimeout bounds the database ping of a health check.
const healthPingTimeout = 2 * time.Second

type healthBody struct {
	Status    string         `json:"status"`
	TimeStamp time.Time      `json:"timeStamp"`
	Services  healthServices `json:"services"`
}

type healthServices struct {
	Databases healthDatabase `json:"databases"`
	Server    healthServer   `json:"server"`
}

type healthDatabase struct {
	Status  string `json:"status"`
	Details struct {
		IsConnected bool   `json:"isConnected"`
		ReadyState  string `json:"readyState"`
	} `json:"details"`
}

type healthServer struct {
	Status      string      `json:"status"`
	Uptime      float64     `json:"uptime"`
	MemoryUsage memoryUsage `json:"memoryUsage"`
}

type memoryUsage struct {
	RSS          uint64 `json:"rss"`
	HeapTotal    uint64 `json:"heapTotal"`
	HeapUsed     uint64 `json:"heapUsed"`
	External     uint64 `json:"external"`
	ArrayBuffers uint64 `json:"arrayBuffers"`
}

// health answers 200 when the database answers a ping within two seconds,
// else 503.
func (s *server) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), healthPingTimeout)
	defer cancel()
	connected := s.db.Ping(ctx) == nil

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	body := healthBody{Status: "OK", TimeStamp: time.Now().UTC()}
	body.Services.Server = healthServer{
		Status: "healthy",
		Uptime: time.Since(s.started).Seconds(),
		MemoryUsage: memoryUsage{
			RSS:       ms.Sys,
			HeapTotal: ms.HeapSys,
			HeapUsed:  ms.HeapAlloc,
			External:  ms.StackSys + ms.MSpanSys + ms.MCacheSys + ms.BuckHashSys + ms.GCSys + ms.OtherSys,
		},
	}
	db := &body.Services.Databases
	db.Details.IsConnected = connected
	status := http.StatusOK
	if connected {
		db.Status, db.Details.ReadyState = "healthy", "connected"
	} else {
		body.Status = "ERROR"
		db.Status, db.Details.ReadyState = "unhealthy", "disconnected"
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
	return nil
}
