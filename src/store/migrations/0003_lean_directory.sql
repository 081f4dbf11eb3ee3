-- Nothing looks users up by manager in SQL (the directory tree is built in memory),
-- and keeping this index up to date was half the cost of saving a 100,000-user sync.
DROP INDEX IF EXISTS directory_users_manager;
