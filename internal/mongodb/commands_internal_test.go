package mongodb

import (
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
)

func TestIsUnkeyed(t *testing.T) {
	oid := primitive.NewObjectID()
	cases := []struct {
		name string
		cmd  bson.D
		want bool
	}{
		{"find", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.M{"_id": oid}}}, false},
		{"find string", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.M{"_id": "a@b.test"}}}, false},
		{"find all", bson.D{{Key: "find", Value: "c"}}, true},
		{"find $in", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.M{"_id": bson.M{"$in": bson.A{oid}}}}}, true},
		{"find more", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.M{"_id": oid, "v": 1}}}, true},
		{"find field", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.M{"course": oid}}}, true},
		{"count", bson.D{{Key: "count", Value: "c"}, {Key: "query", Value: bson.M{"_id": oid}}}, false},
		{"findAndModify", bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.M{"_id": oid}}}, false},
		{"findAndModify guarded", bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.M{"_id": oid, "rev": 2}}}, true},
		{"update", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.M{"q": bson.M{"_id": oid}, "u": bson.M{}}}}}, false},
		{"update guarded", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.M{"q": bson.M{"_id": oid, "v": 1}, "u": bson.M{}}}}}, true},
		{"delete", bson.D{{Key: "delete", Value: "c"}, {Key: "deletes", Value: bson.A{bson.M{"q": bson.M{"_id": oid}, "limit": 1}}}}, false},
		{"delete many", bson.D{{Key: "delete", Value: "c"}, {Key: "deletes", Value: bson.A{bson.M{"q": bson.M{"user": oid}, "limit": 0}}}}, true},
		{"aggregate", bson.D{{Key: "aggregate", Value: "c"}, {Key: "pipeline", Value: bson.A{}}}, true},
		{"insert", bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.M{"_id": oid}}}}, false},
		{"ping", bson.D{{Key: "ping", Value: 1}}, false},
	}
	for _, c := range cases {
		raw, err := bson.Marshal(c.cmd)
		if err != nil {
			t.Fatal(err)
		}
		if got := isUnkeyed(c.cmd[0].Key, raw); got != c.want {
			t.Errorf("%s: unkeyed %v, want %v", c.name, got, c.want)
		}
	}
}
