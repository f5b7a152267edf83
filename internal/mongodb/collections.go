package mongodb

// Collection names (mongoose's pluralised model names, as in the seed).
const (
	usersCollection = "users"
	// emailKeysCollection holds one key document per user, _id the
	// normalised email (UserRepo).
	emailKeysCollection = "useremails"
	coursesCollection   = "courses"
	lecturesCollection  = "lectures"
	progressCollection  = "courseprogresses"
	// progressStashCollection holds copies of progress records while
	// Migrate moves them to their derived _id (ProgressRepo.migrateIDs).
	progressStashCollection = "courseprogresses_migration"
	purchaseCollection      = "coursepurchases"
	eventsCollection        = "webhookevents"
	// unmatchedCollection keeps refunds no purchase was found for
	// (UnmatchedRefundRepo).
	unmatchedCollection = "unmatchedrefunds"
	// certificatesCollection is new with certificates (no mongoose model).
	certificatesCollection = "certificates"
	// couponsCollection holds coupons and their redemptions (CouponRepo).
	couponsCollection = "coupons"
	// reviewsCollection is new with reviews (no mongoose model).
	reviewsCollection = "reviews"
	// catalogRevisionsCollection holds the published catalog's revision
	// (catalogRevision).
	catalogRevisionsCollection = "catalogrevisions"
)

// allCollections are the collections the service uses.
var allCollections = []string{
	usersCollection, emailKeysCollection, coursesCollection, lecturesCollection,
	progressCollection, progressStashCollection, purchaseCollection, eventsCollection, unmatchedCollection,
	certificatesCollection, couponsCollection, reviewsCollection, catalogRevisionsCollection,
}
