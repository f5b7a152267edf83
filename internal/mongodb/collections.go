package mongodb

// Collection names.
const (
	usersCollection = "users"
)
