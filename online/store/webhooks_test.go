package store

import (
	"context"
	"testing"
	"time"
)

func TestWebhookQueue(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, path := newStore(t)
		e := WebhookEvent{ID: "e1", Kind: "request.needs_approval", Request: "r1", Body: []byte(`{"a":1}`), Created: t0}
		urls := []string{"https://a.example/hook", "https://b.example/hook"}
		if added, err := s.EnqueueWebhook(ctx, e, urls); err != nil || !added {
			t.Fatalf("EnqueueWebhook = %v, %v; want added", added, err)
		}
		// The same kind for the same request again: nothing new.
		again := e
		again.ID = "e2"
		if added, err := s.EnqueueWebhook(ctx, again, urls); err != nil || added {
			t.Fatalf("EnqueueWebhook again = %v, %v; want not added", added, err)
		}
		due, err := s.DueWebhooks(ctx, t0, 10)
		if err != nil || len(due) != 2 || due[0].URL != urls[0] || string(due[0].Event.Body) != `{"a":1}` {
			t.Fatalf("DueWebhooks = %+v, %v; want both URLs of e1", due, err)
		}
		if err := s.WebhookAttempt(ctx, "e1", urls[0], DeliveryDelivered, 200, "", t0, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.WebhookAttempt(ctx, "e1", urls[1], DeliveryPending, 500, "HTTP 500", t0.Add(time.Minute), t0); err != nil {
			t.Fatal(err)
		}
		if err := s.WebhookAttempt(ctx, "e1", urls[0], DeliveryPending, 500, "", t0, t0); err == nil {
			t.Fatal("an attempt on a delivered delivery was recorded")
		}
		// A restart: the queue is in the database.
		s.Close()
		s, err = Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if due, err := s.DueWebhooks(ctx, t0.Add(59*time.Second), 10); err != nil || len(due) != 0 {
			t.Fatalf("DueWebhooks before the retry = %+v, %v; want none", due, err)
		}
		due, err = s.DueWebhooks(ctx, t0.Add(time.Minute), 10)
		if err != nil || len(due) != 1 || due[0].URL != urls[1] || due[0].Attempts != 1 || due[0].LastStatus != 500 {
			t.Fatalf("DueWebhooks at the retry = %+v, %v; want b's, after 1 attempt", due, err)
		}
		recent, err := s.RecentWebhooks(ctx, 10)
		if err != nil || len(recent) != 2 || recent[0].State != DeliveryDelivered || recent[1].State != DeliveryPending {
			t.Fatalf("RecentWebhooks = %+v, %v", recent, err)
		}
		if _, err := s.EnqueueWebhook(ctx, WebhookEvent{ID: "e3", Kind: "request.exploded", Request: "r1", Body: []byte("{}"), Created: t0}, nil); err == nil {
			t.Fatal("an unknown kind was queued")
		}
	})
}
