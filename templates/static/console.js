// Warden console: small progressive enhancements. Every page works without this script.
(function () {
  'use strict';

  // Copy buttons: <button data-copy="element-id">.
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var source = document.getElementById(button.getAttribute('data-copy'));
      if (!source) return;
      var text = source.value !== undefined ? source.value : source.textContent;
      var done = function () {
        button.textContent = 'Copied';
        button.setAttribute('data-copied', '');
        setTimeout(function () { button.textContent = 'Copy'; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { select(source); });
      } else {
        select(source);
        try { document.execCommand('copy'); done(); } catch (e) { /* selected for the user */ }
      }
    });
  });
  function select(el) {
    if (el.select) { el.focus(); el.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Live link state: <section data-link-state="/admin/instances/ID/link-state">.
  var live = document.querySelector('[data-link-state]');
  if (live) {
    var url = live.getAttribute('data-link-state');
    var img = live.querySelector('img[data-qr]');
    var state = live.querySelector('[data-state]');
    var expires = live.querySelector('[data-expires]');
    var qrBox = live.querySelector('[data-qr-box]');
    var expired = live.querySelector('[data-qr-expired]');
    var connected = live.querySelector('[data-connected]');
    var phone = live.querySelector('[data-phone]');
    var poll = function () {
      fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return setTimeout(poll, 5000);
          state.textContent = s.state;
          live.setAttribute('data-current-state', s.state);
          if (s.qr && img) {
            if (img.getAttribute('src') !== s.qr.png_data_url) img.setAttribute('src', s.qr.png_data_url);
            if (expires) expires.textContent = s.qr.expires;
          }
          if (qrBox) qrBox.hidden = !s.qr;
          if (expired) expired.hidden = !s.qr_expired;
          if (s.connected) {
            if (connected) connected.hidden = false;
            if (phone && s.phone) phone.textContent = s.phone;
            return;
          }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1000);
  }
})();
