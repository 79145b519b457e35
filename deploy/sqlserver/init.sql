-- Creates the booking database and its login (idempotent). Run by the
-- one-shot sqlserver-init service with sqlcmd -v BOOKING_PASSWORD=...
IF SUSER_ID('skyfly_booking') IS NULL
    CREATE LOGIN skyfly_booking WITH PASSWORD = '$(BOOKING_PASSWORD)', CHECK_POLICY = OFF;
GO
IF DB_ID('booking') IS NULL
    CREATE DATABASE booking;
GO
ALTER DATABASE booking SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE;
GO
USE booking;
GO
IF USER_ID('skyfly_booking') IS NULL
    CREATE USER skyfly_booking FOR LOGIN skyfly_booking;
GO
ALTER ROLE db_owner ADD MEMBER skyfly_booking;
GO
