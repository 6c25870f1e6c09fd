-- Verify pnptv:donations
SELECT purpose, live_stream_id, donation_message FROM payment_records WHERE false;
SELECT currency, amount FROM donation_amounts WHERE false;
