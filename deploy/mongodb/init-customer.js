// Runs once, when the MongoDB volume is first initialised: the customer
// service's own user, limited to its database.
db.getSiblingDB("customer").createUser({
  user: "skyfly_customer",
  pwd: process.env.CUSTOMER_DB_PASSWORD,
  roles: [{ role: "readWrite", db: "customer" }],
});
