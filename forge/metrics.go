// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lockbot/forge/store"
)

// metrics are the App's Prometheus series, on a registry of the server's
// own (no global state): /metrics serves them.
type metrics struct {
	deliveries     *prometheus.CounterVec
	webhookSeconds prometheus.Histogram
	jobs           *prometheus.CounterVec
	jobSeconds     prometheus.Histogram
	findings       *prometheus.CounterVec
	apiErrors      *prometheus.CounterVec
	rateLimited    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, st store.Store) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockbot_webhook_deliveries_total",
			Help: "Webhook deliveries, by event and outcome (queued, duplicate, ignored, bad_signature, too_large, bad_request, error).",
		}, []string{"event", "outcome"}),
		webhookSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "lockbot_webhook_duration_seconds",
			Help:    "Time to acknowledge a webhook delivery.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockbot_jobs_total",
			Help: "Review jobs ended, by outcome (done, dropped, failed, retried, rate_limited, lease_lost).",
		}, []string{"outcome"}),
		jobSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "lockbot_job_duration_seconds",
			Help:    "Time a review job ran, GitHub calls included.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockbot_findings_total",
			Help: "Findings posted (inline, listed in a review body) and comments marked resolved.",
		}, []string{"kind"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockbot_github_api_errors_total",
			Help: "GitHub API answers of status 400 or more, by status (transport: no answer).",
		}, []string{"status"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockbot_github_rate_limited_total",
			Help: "GitHub API answers that were rate limits, by kind (primary, secondary).",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.deliveries, m.webhookSeconds, m.jobs, m.jobSeconds, m.findings, m.apiErrors, m.rateLimited,
		&queueCollector{st: st, desc: prometheus.NewDesc("lockbot_jobs", "Jobs in the store, by state.", []string{"state"}, nil)})
	return m
}

// queueCollector reads the jobs per state from the store at each scrape.
type queueCollector struct {
	st   store.Store
	desc *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.st.Counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, state := range []string{store.Queued, store.Running, store.Done, store.Failed, store.Dropped} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[state]), state)
	}
}
