package main

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
)

// sqlAudit returns the recorder of a SQL domain's staff audit chain (the
// domain's own database, migrated by audit.Migrate in its migrate step).
func sqlAudit(ctx context.Context, d deps, db *sqldb.DB, domainName string) (*auditapi.Recorder, error) {
	l, err := audit.NewGormLog(ctx, db, domainName)
	if err != nil {
		return nil, fmt.Errorf("%s audit log: %w", domainName, err)
	}
	return auditapi.NewRecorder(l, domainName, d.log.With("domain", domainName, "component", "audit"), d.now), nil
}

// mongoAudit returns the recorder of the customer domain's staff audit
// chain in its MongoDB database.
func mongoAudit(d deps, db *mongo.Database, domainName string) *auditapi.Recorder {
	return auditapi.NewRecorder(audit.NewMongoLog(db, domainName), domainName, d.log.With("domain", domainName, "component", "audit"), d.now)
}
