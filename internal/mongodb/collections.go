package mongodb

// Collection names (mongoose's pluralised model names, as in the seed).
const (
	usersCollection    = "users"
	coursesCollection  = "courses"
	lecturesCollection = "lectures"
	progressCollection = "courseprogresses"
	purchaseCollection = "coursepurchases"
	eventsCollection   = "webhookevents"
	// certificatesCollection is new with certificates (no mongoose model).
	certificatesCollection = "certificates"
)
