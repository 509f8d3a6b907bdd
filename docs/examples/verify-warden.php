<?php
// Verify a Warden webhook in PHP 7.4+ (no extensions beyond hash).

function warden_verify_signature(string $secret, string $timestamp, string $rawBody, string $header): bool
{
    if ($secret === '' || $timestamp === '' || $header === '') {
        return false;
    }
    $expected = hash_hmac('sha256', $timestamp . '.' . $rawBody, $secret);
    $ok = false;
    foreach (preg_split('/[\s,]+/', trim($header)) as $entry) {
        if (strncmp($entry, 'sha256=', 7) === 0 && hash_equals($expected, strtolower(substr($entry, 7)))) {
            $ok = true;
        }
    }
    return $ok;
}

function warden_is_fresh(string $timestamp, int $toleranceSeconds = 300): bool
{
    $sent = DateTimeImmutable::createFromFormat('Y-m-d\TH:i:s\Z', $timestamp, new DateTimeZone('UTC'));
    return $sent !== false && abs(time() - $sent->getTimestamp()) <= $toleranceSeconds;
}

// webhook.php
$raw = file_get_contents('php://input'); // the raw bytes, before json_decode
$timestamp = $_SERVER['HTTP_X_WA_TIMESTAMP'] ?? '';
$signature = $_SERVER['HTTP_X_WA_SIGNATURE'] ?? '';
$requestId = $_SERVER['HTTP_X_WA_REQUEST_ID'] ?? '';
$secret = getenv('WARDEN_WEBHOOK_SECRET');

if ($requestId === '' || !warden_is_fresh($timestamp) || !warden_verify_signature($secret, $timestamp, $raw, $signature)) {
    http_response_code(401);
    exit;
}
// Store first (unique index on request_id makes retries harmless), answer, process later.
// $pdo->prepare('INSERT IGNORE INTO warden_events (request_id, body) VALUES (?, ?)')->execute([$requestId, $raw]);
http_response_code(200);
echo '{"ok":true}';
