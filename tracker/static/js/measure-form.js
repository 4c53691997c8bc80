// Questionnaire page: choosing "Taken at session" sets the date (and the course) to that
// session's. Progressive enhancement: without it the server does the same for a date left
// at the default, and refuses one that contradicts the session. No inline script (CSP).
(function () {
  "use strict";
  var session = document.getElementById("session_id");
  var day = document.getElementById("taken_on");
  var course = document.getElementById("course_id");
  if (!session || !day || !window.JSON) { return; }

  function read(name) {
    try { return JSON.parse(session.getAttribute(name) || "{}"); } catch (e) { return {}; }
  }
  var dates = read("data-session-dates");
  var courses = read("data-session-courses");

  session.addEventListener("change", function () {
    var chosen = session.value;
    if (Object.prototype.hasOwnProperty.call(dates, chosen)) { day.value = dates[chosen]; }
    if (course && Object.prototype.hasOwnProperty.call(courses, chosen)) {
      course.value = courses[chosen];
    }
  });
})();
