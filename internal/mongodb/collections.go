package mongodb

// Collection names (mongoose's pluralised model names, as in the seed).
const (
	usersCollection    = "users"
	coursesCollection  = "courses"
	lecturesCollection = "lectures"
	progressCollection = "courseprogresses"
	// progressStashCollection holds copies of progress records while
	// Migrate moves them to their derived _id (ProgressRepo.migrateIDs).
	progressStashCollection = "courseprogresses_migration"
	purchaseCollection      = "coursepurchases"
	eventsCollection        = "webhookevents"
)
