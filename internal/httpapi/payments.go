package httpapi

import (
	"context"
	"net/http"
	"time"
)

// maxWebhookBytes caps a Stripe webhook body (events are a few KB).
const maxWebhookBytes = 64 << 10

// webhookProcessingTime bounds applying one event. The work is detached from
// the request: Stripe hanging up must not stop it half-way.
const webhookProcessingTime = 30 * time.Second

type sessionResponse struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

type checkoutData struct {
	Session sessionResponse `json:"session"`
}

type enrolledData struct {
	Enrolled bool `json:"enrolled"`
}

type purchaseStatusData struct {
	Course      courseResponse `json:"course"`
	IsPurchased bool           `json:"isPurchased"`
}

type webhookResponse struct {
	Received bool `json:"received"`
}

// createCheckoutSession starts buying a course: 201 with the Stripe session
// to redirect to, or 200 when a free course enrolled the caller at once.
func (s *server) createCheckoutSession(w http.ResponseWriter, r *http.Request) error {
	req, answered, err := s.readPriceRequest(w, r, false)
	if err != nil || answered {
		return err
	}
	id, _ := caller(r)
	res, err := s.payments.Checkout(r.Context(), id, req.CourseID, req.CouponCode)
	if err != nil {
		return err
	}
	if res.Enrolled {
		writeJSON(w, http.StatusOK, dataResponse{Success: true, Message: "Enrolled successfully", Data: enrolledData{Enrolled: true}})
		return nil
	}
	writeJSON(w, http.StatusCreated, dataResponse{
		Success: true, Message: "Stripe checkout initiated successfully.",
		Data: checkoutData{Session: sessionResponse{ID: res.Session.ID, URL: res.Session.URL}},
	})
	return nil
}

// stripeWebhook receives a Stripe event. The raw body is read once, capped,
// and verified against Stripe-Signature before anything is parsed.
func (s *server) stripeWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), webhookProcessingTime)
	defer cancel()
	if err := s.payments.HandleEvent(ctx, body, r.Header.Get("Stripe-Signature")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookResponse{Received: true})
	return nil
}

// purchaseStatus answers whether the caller owns a course, with the course
// page as they may see it.
func (s *server) purchaseStatus(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	d, owned, err := s.payments.PurchaseStatus(r.Context(), id, courseID)
	if err != nil {
		return err
	}
	c, err := s.courseDetailResponse(r.Context(), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: purchaseStatusData{Course: c, IsPurchased: owned}})
	return nil
}

// purchasedCourses lists the cards of the caller's courses, newest purchase
// first.
func (s *server) purchasedCourses(w http.ResponseWriter, r *http.Request) error {
	id, _ := caller(r)
	cards, err := s.payments.PurchasedCourses(r.Context(), id.UserID)
	if err != nil {
		return err
	}
	out := make([]courseResponse, len(cards))
	for i := range cards {
		out[i] = s.listedResponse(&cards[i])
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: out})
	return nil
}
