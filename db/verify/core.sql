-- Verify pnptv:core
SELECT id, telegram_id, username, first_name, last_name, photo_url, email, language, role, tier, bio,
       visibility, age_verified_at, banned_at, ban_reason, unreachable_at, created_at, updated_at
  FROM users WHERE false;
SELECT id, actor_user_id, action, subject_type, subject_id, details, created_at FROM audit_log WHERE false;
SELECT has_function_privilege('set_updated_at()', 'execute');
