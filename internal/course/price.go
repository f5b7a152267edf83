package course

import "math"

// MinPaidPrice is the lowest price of a paid course in USD: Stripe's
// minimum charge. A price of 0 makes a course free.
const MinPaidPrice = 0.50

// priceProblem returns what is wrong with a price between 0 and maxPrice,
// or "" when it is fine: a paid price is at least MinPaidPrice, and every
// price is a whole number of cents.
func priceProblem(p float64) string {
	cents := p * 100
	switch {
	case math.Abs(cents-math.Round(cents)) > 1e-6:
		return "Price must have at most two decimals"
	case p > 0 && p < MinPaidPrice:
		return "Price of a paid course must be at least 0.50 (0 makes it free)"
	}
	return ""
}
